// Helpers shared by the examples: a seeded random source (so printed numbers are reproducible), summary
// statistics, and the check for being run directly.

import { pathToFileURL } from 'node:url';
import { log, Rng, sigmoid as sigmoidT, type Tensor } from '@rlhfkit/engine';

/** A uniform generator on [0, 1): the engine's seeded Rng as a function. */
export function uniformSource(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** Mean, sample standard deviation and standard error of the mean. */
export function stats(xs: ArrayLike<number>): { mean: number; std: number; stderr: number } {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - mean) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  return { mean, std, stderr: std / Math.sqrt(n) };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * log sigma(x) in-graph, as log(sigmoid(x)): its gradient is 1 - sigma(x) everywhere, and it is finite for
 * |x| < 700, ample here. The engine's logSigmoid (min(x, 0) - log(1 + e^-|x|)) returns gradient 1 instead
 * of 0.5 at exactly x = 0 (its min and abs subgradients disagree there), and theta0 = 0 is the natural start.
 */
export const logSigmoid = (x: Tensor): Tensor => log(sigmoidT(x));

/** True when this module is the program node was started with (not imported by a test). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && url === pathToFileURL(entry).href;
}
