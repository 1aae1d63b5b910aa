// Per-token quantities from a policy's logits, in-graph. During training the logits are divided by the
// sampling temperature, so logp matches the distribution the tokens were sampled from
// (rlhf-conventions.md, "logprobs during training").
import {
  div,
  gatheredLogProbs,
  logSoftmax,
  mul,
  neg,
  reduceSum,
  softmax,
  type Tensor,
} from '@rlhfkit/engine';

/** Options of logProbsFromLogits and entropyFromLogits. */
export interface LogitsOptions {
  /** Sampling temperature T > 0; logits are divided by it. 1 by default. */
  temperature?: number;
}

function scaled(fn: string, logits: Tensor, options: LogitsOptions): Tensor {
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64') {
    throw new Error(`${fn}: logits must be a float32 or float64 tensor, got ${logits.dtype}`);
  }
  if (logits.rank < 2) throw new Error(`${fn}: logits must have shape (B, T, V), got [${logits.shape}]`);
  const t = options.temperature ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    throw new Error(`${fn}: temperature must be a finite number > 0, got ${t}`);
  }
  return t === 1 ? logits : div(logits, t);
}

/**
 * log softmax(logits / temperature) at the given tokens: TRL's selective log-softmax.
 * @param logits (B, T, V) float
 * @param tokens (B, T) int32 or int64 token ids
 * @returns (B, T) log-probs, differentiable in logits
 */
export function logProbsFromLogits(logits: Tensor, tokens: Tensor, options: LogitsOptions = {}): Tensor {
  const fn = 'logProbsFromLogits';
  const z = scaled(fn, logits, options); // (B, T, V)
  if (tokens.dtype !== 'int64' && tokens.dtype !== 'int32') {
    throw new Error(`${fn}: tokens must be an int64 or int32 tensor, got ${tokens.dtype}`);
  }
  const lead = logits.shape.slice(0, -1);
  if (tokens.shape.join() !== lead.join()) {
    throw new Error(`${fn}: tokens has shape [${tokens.shape}] but logits [${logits.shape}] needs [${lead}]`);
  }
  return gatheredLogProbs(z, tokens); // (B, T)
}

/**
 * Entropy of softmax(logits / temperature) at every position: H = -sum_v softmax(z)_v log softmax(z)_v, which
 * equals logsumexp(z) - sum_v softmax(z)_v z_v (rlhf-conventions.md, "Entropy"). Differentiable, for an
 * entropy bonus L -= c Agg(H). Written with Softmax and LogSoftmax, which logProbsFromLogits' forward and
 * backward passes compute from the same z, so ONNX Runtime computes each once: the entropy costs one Mul and
 * one ReduceSum over (B, T, V) (the logsumexp form took seven passes).
 * @param logits (B, T, V) float
 * @returns (B, T) entropies in nats
 */
export function entropyFromLogits(logits: Tensor, options: LogitsOptions = {}): Tensor {
  const z = scaled('entropyFromLogits', logits, options); // (B, T, V)
  return neg(reduceSum(mul(softmax(z, -1), logSoftmax(z, -1)), -1)); // (B, T)
}
