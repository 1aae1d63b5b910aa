/**
 * Composite functions built from primitives. Softmax, logSoftmax and layerNorm are primitives with fused
 * rules instead: each lowers to one ONNX kernel and its backward to a handful of ops, where the composed
 * form would run five or more kernels per call in the hottest part of a transformer.
 */
import { normAxes } from './broadcast.js';
import { abs, add, exp, log, minimum, mul, neg, sigmoid, sub, tanh } from './elementwise.js';
import { apply1, currentGraph, type Primitive, type Tensor } from './graph.js';
import { gatherElements } from './indexing.js';
import { matmul, reduceMax, reduceMean, reduceSum } from './reduce.js';
import { reshape, stopGradient, transpose } from './shape.js';

const lastAxis = (x: Tensor, axis: number) => normAxes('softmax', [axis], x.rank)[0]!;

const Softmax: Primitive<{ axis: number }> = {
  name: 'softmax',
  infer: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape] }],
  lower(e, n) {
    e.node('Softmax', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)], { axis: n.attrs.axis });
  },
  // dx = y ⊙ (g − Σ g⊙y)
  vjp(n, [g]) {
    const y = n.outputs[0]!;
    return [mul(y, sub(g!, reduceSum(mul(g!, y), n.attrs.axis, true)))];
  },
};

const LogSoftmax: Primitive<{ axis: number }> = {
  name: 'logSoftmax',
  infer: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape] }],
  lower(e, n) {
    e.node('LogSoftmax', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)], { axis: n.attrs.axis });
  },
  // dx = g − softmax(x) Σ g
  vjp(n, [g]) {
    const y = n.outputs[0]!;
    return [sub(g!, mul(exp(y), reduceSum(g!, n.attrs.axis, true)))];
  },
};

export const softmax = (x: Tensor, axis = -1): Tensor => apply1(Softmax, [x], { axis: lastAxis(x, axis) });
export const logSoftmax = (x: Tensor, axis = -1): Tensor =>
  apply1(LogSoftmax, [x], { axis: lastAxis(x, axis) });

/** log Σ exp(x) along an axis, stabilised by the (gradient-free) max. */
export function logSumExp(x: Tensor, axis = -1, keepdims = false): Tensor {
  const m = stopGradient(reduceMax(x, axis, true));
  const lse = add(m, log(reduceSum(exp(sub(x, m)), axis, true)));
  return keepdims
    ? lse
    : reshape(
        lse,
        x.shape.filter((_, i) => i !== lastAxis(x, axis)),
      );
}

/**
 * log σ(x) = min(x, 0) − log(1 + e^{−|x|}), finite for any x. That form's derivative is wrong at exactly 0
 * (min and abs split the tie), so the gradient is attached separately: x·sg(σ(−x)) − sg(x·σ(−x)) is 0 in the
 * forward pass and has derivative σ(−x), the true d/dx log σ(x). (First derivatives only.)
 */
export function logSigmoid(x: Tensor): Tensor {
  const value = stopGradient(sub(minimum(x, 0), log(add(1, exp(neg(abs(x)))))));
  const slope = stopGradient(sigmoid(neg(x)));
  return add(value, sub(mul(x, slope), stopGradient(mul(x, slope))));
}

/** GPT-2's tanh GELU ("gelu_new"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function gelu(x: Tensor): Tensor {
  const inner = mul(Math.sqrt(2 / Math.PI), add(x, mul(0.044715, mul(x, mul(x, x)))));
  return mul(mul(0.5, x), add(1, tanh(inner)));
}

// ---- layer norm over the last axis ----

const LayerNorm: Primitive<{ eps: number }> = {
  name: 'layerNorm',
  infer([x]) {
    const stat = [...x!.shape.slice(0, -1), 1];
    return [
      { dtype: x!.dtype, shape: [...x!.shape] },
      { dtype: x!.dtype, shape: stat },
      { dtype: x!.dtype, shape: stat },
    ];
  },
  lower(e, n) {
    const [y, mean, rstd] = n.outputs as [Tensor, Tensor, Tensor];
    const [x, gamma, beta, eps] = n.inputs.map((t) => e.name(t)) as [string, string, string, string?];
    if (eps === undefined) {
      const attrs = { axis: -1, epsilon: { float: n.attrs.eps } };
      e.node('LayerNormalization', [x, gamma, beta], [e.name(y), e.name(mean), e.name(rstd)], attrs);
      return;
    }
    // float64: the kernel's Mean and InvStdDev outputs follow stash_type (default float32), and ORT 1.30's CPU
    // kernel has no float64 stash type. A float64 layerNorm thus had float32 statistics, and its backward pass,
    // which mixes them with float64 x, failed to load. So float64 is lowered op by op, eps as a float64 input.
    const axes = e.ints([-1]);
    const [d, sq, variance, ve, sd, xhat, scaled] = ['d', 'sq', 'var', 've', 'sd', 'xhat', 'scaled'].map(
      (h) => e.fresh(`ln_${h}`),
    ) as [string, string, string, string, string, string, string];
    e.node('ReduceMean', [x, axes], [e.name(mean)], { keepdims: 1 });
    e.node('Sub', [x, e.name(mean)], [d]);
    e.node('Mul', [d, d], [sq]);
    e.node('ReduceMean', [sq, axes], [variance], { keepdims: 1 });
    e.node('Add', [variance, eps], [ve]);
    e.node('Sqrt', [ve], [sd]);
    e.node('Reciprocal', [sd], [e.name(rstd)]);
    e.node('Mul', [d, e.name(rstd)], [xhat]);
    e.node('Mul', [xhat, gamma], [scaled]);
    e.node('Add', [scaled, beta], [e.name(y)]);
  },
  // x̂ = (x − μ)·r; dx = r(dx̂ − mean(dx̂) − x̂·mean(dx̂⊙x̂)), dx̂ = g⊙γ; dγ = Σ g⊙x̂; dβ = Σ g
  vjp(n, [g]) {
    const [x, gamma] = n.inputs as [Tensor, Tensor, Tensor];
    const [, mean, rstd] = n.outputs as [Tensor, Tensor, Tensor];
    const xhat = mul(sub(x, mean), rstd);
    const dxhat = mul(g!, gamma);
    const dx = mul(
      rstd,
      sub(sub(dxhat, reduceMean(dxhat, -1, true)), mul(xhat, reduceMean(mul(dxhat, xhat), -1, true))),
    );
    const lead = x.shape.slice(0, -1).map((_, i) => i);
    return [dx, reduceSum(mul(g!, xhat), lead), reduceSum(g!, lead), null];
  },
};

/** LayerNorm over the last axis with scale gamma and shift beta (both shaped [C]). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const c = x.shape[x.rank - 1];
  if (gamma.shape.join() !== `${c}` || beta.shape.join() !== `${c}`) {
    throw new Error(`layerNorm: gamma ${gamma} and beta ${beta} must have shape [${c}] for ${x}`);
  }
  const g = currentGraph();
  const inputs =
    x.dtype === 'float64' ? [x, gamma, beta, g.constant([eps], [], 'float64')] : [x, gamma, beta];
  return g.apply(LayerNorm, inputs, { eps })[0]!;
}

/**
 * Log-probabilities of the given targets under logits on the last axis (a selective log-softmax).
 * logits (..., V), targets (...) int64 → (...).
 */
export function gatheredLogProbs(logits: Tensor, targets: Tensor): Tensor {
  const lp = logSoftmax(logits, -1); // (..., V)
  const picked = gatherElements(lp, reshape(targets, [...targets.shape, 1]), -1); // (..., 1)
  return reshape(picked, targets.shape);
}

/** Per-position cross-entropy −log p(target): logits (..., V), targets (...) → (...). */
export const crossEntropy = (logits: Tensor, targets: Tensor): Tensor =>
  neg(gatheredLogProbs(logits, targets));

/**
 * Causal scaled dot-product attention. q, k, v: (B, H, T, D) → (B, H, T, D).
 * Position t attends to positions ≤ t. Optional keyMask (B, T), 1 = attend, masks padding keys.
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor, keyMask?: Tensor): Tensor {
  const [, , t, d] = q.shape as [number, number, number, number];
  const tk = k.shape[2]!;
  const scores = mul(matmul(q, transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(d)); // (B, H, T, Tk)
  // Additive mask: 0 where allowed, a large negative where not (queries are the last T of Tk positions).
  const bias = new Float64Array(t * tk);
  for (let i = 0; i < t; i++) for (let j = 0; j < tk; j++) bias[i * tk + j] = j > i + tk - t ? -1e9 : 0;
  let masked = add(scores, currentGraph().constant(bias, [t, tk], q.dtype));
  if (keyMask) {
    const km = reshape(keyMask, [keyMask.shape[0]!, 1, 1, tk]); // (B, 1, 1, Tk)
    masked = add(masked, mul(sub(1, km), -1e9));
  }
  return matmul(softmax(masked, -1), v); // (B, H, T, D)
}
