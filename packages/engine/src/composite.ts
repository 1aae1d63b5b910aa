/**
 * Composite functions built from primitives. Softmax, logSoftmax and layerNorm are primitives with fused
 * rules instead: each lowers to one ONNX kernel and its backward to a handful of ops, where the composed
 * form would run five or more kernels per call in the hottest part of a transformer.
 */
import { normAxes } from './broadcast.js';
import { abs, add, exp, log, minimum, mul, neg, sigmoid, sub, tanh } from './elementwise.js';
import { apply1, currentGraph, type Primitive, type Tensor } from './graph.js';
import { scatterAdd } from './indexing.js';
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

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * float32 GELU as one ONNX Gelu (approximate 'tanh') kernel: the composed form ran eight elementwise kernels
 * over the MLP's widest activation in the forward pass, and its derivative, traced through them, about twenty.
 */
const Gelu: Primitive<Record<string, never>> = {
  name: 'gelu',
  infer: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape] }],
  lower(e, n) {
    e.node('Gelu', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)], { approximate: 'tanh' });
  },
  // gelu(x) = x·σ(2u), u = c(x + a·x³), as ½(1 + tanh u) = σ(2u). So with s = σ(2u):
  // gelu'(x) = s + x·s(1 − s)·2u' = s·(1 + (1 − s)·x·2c(1 + 3a·x²)).
  vjp(n, [g]) {
    const x = n.inputs[0]!;
    const x2 = mul(x, x);
    const s = sigmoid(mul(x, add(mul(x2, 2 * GELU_C * GELU_A), 2 * GELU_C)));
    const w = mul(x, add(mul(x2, 6 * GELU_C * GELU_A), 2 * GELU_C));
    return [mul(g!, mul(s, add(mul(sub(1, s), w), 1)))];
  },
};

/**
 * GPT-2's tanh GELU ("gelu_new"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))). float32 runs ORT's fused kernel;
 * float64 is composed op by op (the fused kernel's float64 tanh is a float32-accurate approximation).
 */
export function gelu(x: Tensor): Tensor {
  if (x.dtype === 'float32') return apply1(Gelu, [x], {});
  const inner = mul(GELU_C, add(x, mul(GELU_A, mul(x, mul(x, x)))));
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
  const lead = logits.shape.slice(0, -1);
  if (targets.shape.join() !== lead.join() || (targets.dtype !== 'int64' && targets.dtype !== 'int32')) {
    throw new Error(
      `gatheredLogProbs: targets ${targets} must be int64 or int32 shaped [${lead}] for ${logits}`,
    );
  }
  return apply1(GatheredLogProbs, [logits, targets], {});
}

/**
 * A fused rule: the forward pass is LogSoftmax + GatherElements; the backward pass, d/dz = onehot·g −
 * softmax(z)·g, scatters g into −g·softmax(z), which ORT does in place. Composed from logSoftmax and
 * gatherElements, the backward scattered into a zeros tensor the size of the logits (a constant that ORT
 * folded into an initializer and copied every step), then ran an Exp, a ReduceSum, a Mul and a Sub over it.
 * Softmax and LogSoftmax are emitted on the normalised last axis, like the softmax primitives, so that ORT's
 * common-subexpression pass shares them with an entropy computed from the same logits.
 */
const GatheredLogProbs: Primitive<Record<string, never>> = {
  name: 'gatheredLogProbs',
  infer: ([z, t]) => [{ dtype: z!.dtype, shape: [...t!.shape] }],
  lower(e, n) {
    const [z, t] = n.inputs as [Tensor, Tensor];
    const axis = z.rank - 1;
    const [lp, idx, picked] = ['logsoftmax', 'index', 'picked'].map((h) => e.fresh(h)) as [
      string,
      string,
      string,
    ];
    e.node('LogSoftmax', [e.name(z)], [lp], { axis });
    e.node('Unsqueeze', [e.name(t), e.ints([axis])], [idx]);
    e.node('GatherElements', [lp, idx], [picked], { axis });
    e.node('Squeeze', [picked, e.ints([axis])], [e.name(n.outputs[0]!)]);
  },
  vjp(n, [g]) {
    const [z, t] = n.inputs as [Tensor, Tensor];
    const col = [...t.shape, 1];
    const g1 = reshape(g!, col);
    return [scatterAdd(mul(softmax(z, -1), neg(g1)), reshape(t, col), g1, z.rank - 1), null];
  },
};

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
  let mask = currentGraph().constant(bias, [t, tk], q.dtype);
  if (keyMask) {
    // Combined at (B, 1, T, Tk) first: one Add over the (B, H, T, Tk) scores instead of two.
    const km = reshape(keyMask, [keyMask.shape[0]!, 1, 1, tk]); // (B, 1, 1, Tk)
    mask = add(mask, mul(sub(1, km), -1e9));
  }
  return matmul(softmax(add(scores, mask), -1), v); // (B, H, T, D)
}
