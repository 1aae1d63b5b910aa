import {
  currentGraph,
  Graph,
  lowerAs,
  type OnnxSubgraph,
  type Primitive,
  type Tensor,
  withGraph,
} from './graph.js';
import { stopGradient } from './shape.js';

interface LoopAttrs {
  body: OnnxSubgraph;
  trips: number;
  nCarried: number;
}

const Loop: Primitive<LoopAttrs> = {
  name: 'loop',
  infer(inputs, { body, trips, nCarried }) {
    const carried = inputs.slice(2);
    const scans = body.outputs.slice(1 + nCarried);
    return [
      ...carried.map((c) => ({ dtype: c.dtype, shape: [...c.shape] })),
      ...scans.map((s) => ({ dtype: s.dtype, shape: [trips, ...s.shape] })),
    ];
  },
  lower: lowerAs('Loop', ({ body }) => ({ body })),
  // Not 'none': that would hand whatever feeds the loop a silent zero gradient. Differentiating through a
  // loop has no rule, so it is an error, as for any op without one (only reached when the gradient of a
  // loop output is actually needed).
  vjp() {
    throw new Error(
      "autodiff: no gradient rule for op 'loop' (put grad inside the body, not around the loop)",
    );
  },
};

let loops = 0;

/**
 * Run body `trips` times inside one session.run (ONNX Loop). Carried tensors are threaded through the
 * iterations; scans are stacked along a new leading axis of length trips. The body may read any tensor of
 * the enclosing program. iter is the 0-based iteration number (int64 scalar). Not differentiable: put
 * whole training steps or sampling steps inside, not a loss to be differentiated.
 */
export function loop(
  trips: number,
  carried: readonly Tensor[],
  body: (iter: Tensor, carried: Tensor[]) => { carried: Tensor[]; scans?: Tensor[] },
): { carried: Tensor[]; scans: Tensor[] } {
  if (!Number.isInteger(trips) || trips < 1)
    throw new Error(`loop: trips must be a positive integer, got ${trips}`);
  const parent = currentGraph();
  const sub = new Graph(parent);
  const id = loops++;
  const iter = sub.input(`loop${id}_iter`, 'int64', []);
  const cond = sub.input(`loop${id}_cond`, 'bool', []);
  const ins = carried.map((c, k) => sub.input(`loop${id}_carry${k}`, c.dtype, c.shape));
  const outs = withGraph(sub, () => {
    const r = body(iter, ins);
    if (r.carried.length !== carried.length) {
      throw new Error(`loop: body returned ${r.carried.length} carried tensors, expected ${carried.length}`);
    }
    r.carried.forEach((c, k) => {
      const want = carried[k]!;
      if (c.dtype !== want.dtype || c.shape.join() !== want.shape.join()) {
        throw new Error(`loop: carried tensor ${k} changed from ${want} to ${c}`);
      }
    });
    // Body outputs need distinct names that live in the body: a tensor computed here is used as it is; an
    // input, a constant, an outer tensor or a repeat gets an Identity. (An Identity on every output copied
    // each carried tensor once per iteration: all parameters and moments in a Trainer loop.)
    const seen = new Set<number>();
    return [cond, ...r.carried, ...(r.scans ?? [])].map((t) => {
      const own = t.kind === 'op' && t.graph === sub && !seen.has(t.id);
      seen.add(t.id);
      return own ? t : stopGradient(t);
    });
  });
  const body_: OnnxSubgraph = { kind: 'graph', graph: sub, inputs: [iter, cond, ...ins], outputs: outs };
  const m = parent.constant([trips], [], 'int64');
  const go = parent.constant([1], [], 'bool');
  const res = parent.apply(Loop, [m, go, ...carried], { body: body_, trips, nCarried: carried.length });
  return { carried: res.slice(0, carried.length), scans: res.slice(carried.length) };
}
