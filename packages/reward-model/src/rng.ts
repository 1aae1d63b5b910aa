// Seeded pseudo-random numbers for reproducible data splits and shuffles. No package in the workspace
// exports one yet (packages/core and packages/engine have none), so this is the package's own.

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, as popularised by bryc/code): a tiny, fast PRNG with a
 * 2^32 period, plenty for shuffling datasets. Returns a function giving floats in [0, 1). Not for crypto.
 * The seed is taken modulo 2^32, so equal seeds give equal streams on every platform.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of `items` in place with the given generator; returns `items`. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
