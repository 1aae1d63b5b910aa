import { normAxes } from './broadcast.js';
import { apply1, type Primitive, type Tensor } from './graph.js';

interface CumSumAttrs {
  axis: number;
  reverse: boolean;
}

const CumSum: Primitive<CumSumAttrs> = {
  name: 'cumsum',
  infer: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape] }],
  lower(e, n) {
    // CumSum takes its axis as a 0-D tensor input.
    const axis = e.fresh('axis');
    e.node('Constant', [], [axis], { value_int: n.attrs.axis });
    e.node('CumSum', [e.name(n.inputs[0]!), axis], [e.name(n.outputs[0]!)], {
      reverse: n.attrs.reverse ? 1 : 0,
    });
  },
  // The adjoint of an inclusive prefix sum is the inclusive suffix sum.
  vjp: (n, [g]) => [cumsum(g!, n.attrs.axis, !n.attrs.reverse)],
};

/** Inclusive cumulative sum along an axis (reverse: from the end). */
export function cumsum(x: Tensor, axis = -1, reverse = false): Tensor {
  return apply1(CumSum, [x], { axis: normAxes('cumsum', [axis], x.rank)[0]!, reverse });
}
