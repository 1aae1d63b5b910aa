import { add } from './elementwise.js';
import type { Node, Tensor } from './graph.js';
import { full, zeros } from './shape.js';

/**
 * Reverse-mode autodiff: a topological walk over the traced nodes, a reverse sweep through each primitive's
 * vjp rule, and accumulation where a tensor is used more than once. The backward pass is itself a graph.
 * A tensor in wrt that does not reach y gets a zero gradient.
 * @param y the value to differentiate (a scalar unless seed is given)
 * @param seed dL/dy; ones when omitted
 */
export function grad(y: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!seed && y.size !== 1) throw new Error(`grad: y must be a scalar (got ${y}); pass a seed for a vector`);
  const nodes = collectNodes(y);

  // Forward: which tensors depend on a wrt tensor. Backward: only those nodes need a rule.
  const live = new Set(wrt.map((t) => t.id));
  const onPath: Node[] = [];
  for (const n of nodes) {
    if (n.inputs.some((t) => live.has(t.id))) {
      onPath.push(n);
      for (const o of n.outputs) live.add(o.id);
    }
  }

  const grads = new Map<number, Tensor>();
  grads.set(y.id, seed ?? full(y.shape, 1, y.dtype));
  for (let i = onPath.length - 1; i >= 0; i--) {
    const n = onPath[i]!;
    const outGrads = n.outputs.map((o) => grads.get(o.id) ?? null);
    if (outGrads.every((x) => x === null)) continue;
    const rule = n.prim.vjp;
    if (rule === undefined) throw new Error(`autodiff: no gradient rule for op '${n.prim.name}'`);
    if (rule === 'none') continue;
    const inGrads = rule(n, outGrads);
    n.inputs.forEach((x, k) => {
      const gx = inGrads[k];
      if (!gx || !live.has(x.id)) return;
      if (gx.dtype !== x.dtype || gx.shape.join() !== x.shape.join()) {
        throw new Error(`autodiff: rule for '${n.prim.name}' gave ${gx} for input ${x}`);
      }
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? add(prev, gx) : gx);
    });
  }
  return wrt.map((t) => grads.get(t.id) ?? zeros(t.shape, t.dtype));
}

/** Nodes y depends on, in creation (topological) order, across the graph and its ancestors. */
function collectNodes(y: Tensor): Node[] {
  const seen = new Set<Node>();
  const stack: Tensor[] = [y];
  while (stack.length) {
    const t = stack.pop()!;
    const n = t.node;
    if (!n || seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  const order = new Map<Node, number>();
  for (const n of seen) order.set(n, n.outputs[0]!.id);
  return [...seen].sort((a, b) => order.get(a)! - order.get(b)!);
}
