import assert from 'node:assert/strict';
import type { Tensor } from '../../src/tensor/index.ts';

/** Asserts |a_i - b_i| <= atol + rtol |b_i| elementwise. */
export function assertClose(actual: Tensor | number[] | number, expected: number[] | number, atol = 1e-6, rtol = 1e-6, what = ''): void {
  const a = typeof actual === 'number' ? [actual] : Array.isArray(actual) ? actual : actual.toFlatArray();
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(e[i]!);
    assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what}[${i}]: ${a[i]} vs expected ${e[i]} (tol ${tol.toExponential(2)})`);
  }
}

/** Sample mean and (unbiased) variance of a JS array. */
export function meanVar(xs: number[]): { mean: number; var: number } {
  const n = xs.length;
  const m = xs.reduce((s, x) => s + x, 0) / n;
  const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1);
  return { mean: m, var: v };
}
