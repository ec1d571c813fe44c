/**
 * Deterministic seeds for resumable training. Everything random in a step is a pure function of
 * (run seed, step): the data order of an epoch comes from a Generator seeded with
 * `deriveSeed(seed, 'data', epoch)`, and the global RNG is re-seeded with
 * `deriveSeed(seed, 'step', step)` before each step. A run stopped at any step and resumed from a
 * checkpoint therefore draws the same numbers as an uninterrupted run.
 */

const STREAMS: Record<string, number> = { data: 0x51ed27, step: 0x7f4a7c, sample: 0x2545f4, eval: 0x9e3779, init: 0x85ebca };

/** A 32-bit mix (murmur3's finalizer). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A seed in [0, 2^48) derived from the run seed, a stream name and an index (step or epoch): distinct
 * streams and indices give unrelated seeds.
 */
export function deriveSeed(seed: number, stream: keyof typeof STREAMS | string, index = 0): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`deriveSeed: seed must be a non-negative integer, got ${seed}`);
  const s = STREAMS[stream] ?? [...stream].reduce((h, c) => fmix32(h ^ c.charCodeAt(0)), 0x1234567);
  const lo = seed % 0x100000000;
  const hi = Math.floor(seed / 0x100000000);
  let h = fmix32(lo ^ s);
  h = fmix32(h ^ Math.imul(hi + 1, 0x27d4eb2d));
  const i1 = index % 0x100000000;
  const i2 = Math.floor(index / 0x100000000);
  const a = fmix32(h ^ fmix32(i1 + 0x165667b1));
  const b = fmix32(a ^ fmix32(i2 + 0x3c6ef372) ^ s);
  return (b & 0xffff) * 0x100000000 + a;
}
