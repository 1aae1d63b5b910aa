/**
 * The rollout layout and the forward pass shared by rollout statistics and the update. A batch row is
 * [prompt, left-padded to P][response, right-padded to N]; logits at column P−1+t score response token t.
 */
import { entropyFromLogits, logProbsFromLogits } from '@rlhfkit/core';
import { type InputSpec, Program, slice, type Tensor } from '@rlhfkit/engine';
import {
  type CausalLM,
  forwardHidden,
  type GPTConfig,
  lmLogits,
  type Params,
  paramShapes,
  scalarHead,
} from '@rlhfkit/model';

export interface RolloutLayout {
  /** Rows. */
  B: number;
  /** Prompt columns. */
  P: number;
  /** Response columns. */
  N: number;
  /** (B, P + N) token ids. */
  ids: Float64Array;
  /** (B, P + N) position ids. */
  positions: Float64Array;
  /** (B, P + N) attention mask. */
  mask: Float32Array;
  /** (B, N) 1 on response tokens (through EOS). */
  respMask: Float32Array;
}

export function layoutRollout(
  prompts: number[][],
  responses: number[][],
  padId: number,
  P: number,
  N: number,
): RolloutLayout {
  const B = prompts.length;
  const T = P + N;
  const out: RolloutLayout = {
    B,
    P,
    N,
    ids: new Float64Array(B * T).fill(padId),
    positions: new Float64Array(B * T),
    mask: new Float32Array(B * T),
    respMask: new Float32Array(B * N),
  };
  for (let b = 0; b < B; b++) {
    const p = prompts[b]!;
    const r = responses[b]!;
    if (p.length > P)
      throw new Error(`prompt ${b} has ${p.length} tokens, more than the ${P} prompt columns`);
    if (r.length > N) throw new Error(`response ${b} has ${r.length} tokens, more than ${N}`);
    p.forEach((tok, t) => {
      const col = b * T + P - p.length + t;
      out.ids[col] = tok;
      out.positions[col] = t;
      out.mask[col] = 1;
    });
    r.forEach((tok, t) => {
      const col = b * T + P + t;
      out.ids[col] = tok;
      out.positions[col] = p.length + t;
      out.mask[col] = 1;
      out.respMask[b * N + t] = 1;
    });
  }
  return out;
}

export interface PolicyOutputs {
  /** (B, N) log π(a_t) at the sampling temperature. */
  logp: Tensor;
  /** (B, N) per-token entropy at the sampling temperature. */
  entropy: Tensor;
  /** (B, N) V(s_t), when the value head is given. */
  values: Tensor | null;
}

/** The policy's log-probs, entropies and values over response tokens, in the graph. */
export function policyForward(
  p: Params,
  c: GPTConfig,
  x: Record<string, Tensor>,
  P: number,
  N: number,
  temperature: number,
): PolicyOutputs {
  const { hidden } = forwardHidden(p, c, { ids: x['ids']!, positions: x['positions']!, mask: x['mask']! });
  const h = slice(hidden, [P - 1], [P - 1 + N], [1]); // (B, N, C)
  const logits = lmLogits(h, p, c); // (B, N, V)
  const targets = slice(x['ids']!, [P], [P + N], [1]); // (B, N)
  return {
    logp: logProbsFromLogits(logits, targets, { temperature }),
    entropy: entropyFromLogits(logits, { temperature }),
    values: p['value_head.weight'] ? scalarHead(h, p, 'value_head') : null,
  };
}

export const layoutSpecs = (B: number, P: number, N: number): Record<string, InputSpec> => ({
  ids: { shape: [B, P + N], dtype: 'int64' },
  positions: { shape: [B, P + N], dtype: 'int64' },
  mask: { shape: [B, P + N] },
});

export interface RolloutStats {
  logp: Float32Array;
  refLogp: Float32Array;
  entropy: Float32Array;
  values: Float32Array | null;
}

/** logp_old, values and entropies under the policy, and logp_ref under the frozen reference, in one run. */
export async function rolloutStats(
  policy: CausalLM,
  reference: CausalLM,
  l: RolloutLayout,
  temperature: number,
  withValues: boolean,
): Promise<RolloutStats> {
  const c = policy.config;
  const shapes = paramShapes(c);
  const heads = withValues ? { 'value_head.weight': [c.nEmbd, 1], 'value_head.bias': [1] } : {};
  const prog = policy.program(`rollout:${l.B}:${l.P}:${l.N}:${temperature}:${withValues}`, () => {
    const specs = layoutSpecs(l.B, l.P, l.N);
    for (const [k, s] of Object.entries({ ...shapes, ...heads })) specs[`p/${k}`] = { shape: s };
    for (const [k, s] of Object.entries(shapes)) specs[`r/${k}`] = { shape: s };
    return Program.compile(
      specs,
      (x) => {
        const pick = (pre: string, names: string[]) =>
          Object.fromEntries(names.map((k) => [k, x[`${pre}${k}`]!]));
        const pol = policyForward(
          pick('p/', Object.keys({ ...shapes, ...heads })),
          c,
          x,
          l.P,
          l.N,
          temperature,
        );
        const ref = policyForward(pick('r/', Object.keys(shapes)), c, x, l.P, l.N, temperature);
        const out: Record<string, Tensor> = { logp: pol.logp, refLogp: ref.logp, entropy: pol.entropy };
        if (pol.values) out['values'] = pol.values;
        return out;
      },
      policy.runtime,
    );
  });
  const feeds: Record<string, { data: Float32Array | Float64Array }> = {
    ids: { data: l.ids },
    positions: { data: l.positions },
    mask: { data: l.mask },
    ...policy.paramFeeds('p/'),
    ...reference.paramFeeds('r/'),
  };
  if (withValues) {
    feeds['p/value_head.weight'] = { data: policy.heads['value_head.weight']! };
    feeds['p/value_head.bias'] = { data: policy.heads['value_head.bias']! };
  }
  const out = await prog.run(feeds);
  return {
    logp: out['logp']!.data as Float32Array,
    refLogp: out['refLogp']!.data as Float32Array,
    entropy: out['entropy']!.data as Float32Array,
    values: withValues ? (out['values']!.data as Float32Array) : null,
  };
}
