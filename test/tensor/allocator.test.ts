import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.ts';

test('reused small blocks never leak old values into new tensors', () => {
  // Fill blocks of many size classes with garbage, free them, then check that new tensors of the
  // same sizes hold exactly what they are given.
  const sizes = [1, 3, 15, 16, 17, 63, 64, 65, 255, 1000, 1025, 2000];
  for (let round = 0; round < 3; round++) {
    torch.scope(() => {
      for (const n of sizes) torch.full([n], 12345.5, { dtype: 'float32' });
    });
    torch.scope(() => {
      for (const n of sizes) {
        const z = torch.zeros([n]);
        assert.equal(z.abs().sum().item(), 0, `zeros of ${n}`);
        const r = torch.arange(n, { dtype: 'float64' });
        assert.equal(r.sum().item(), (n * (n - 1)) / 2, `arange of ${n}`);
      }
    });
  }
});

test('tensors that outlive their neighbours keep their data while blocks are recycled', () => {
  const before = torch.memory();
  const kept = torch.scope(() => {
    const out = [];
    for (let i = 0; i < 200; i++) {
      const t = torch.full([i % 40 + 1], i, { dtype: 'float32' });
      if (i % 10 === 0) out.push(t);
    }
    return out;
  });
  torch.scope(() => {
    for (let i = 0; i < 500; i++) torch.randn([i % 40 + 1]);
  });
  kept.forEach((t, k) => assert.ok(t.toFlatArray().every((x) => x === k * 10), `tensor ${k}`));
  torch.dispose(kept);
  assert.deepEqual(torch.memory(), before);
});

test('large and empty tensors still work (they bypass or use the smallest class)', () => {
  torch.scope(() => {
    assert.equal(torch.ones([1 << 20]).sum().item(), 1 << 20);
    assert.deepEqual(torch.zeros([0]).shape, [0]);
    assert.equal(torch.ones([0, 3]).numel(), 0);
    // linalg routines allocate through libtorch's raw allocate/deallocate path
    const m = torch.randn([6, 6], { dtype: 'float64' }).add(torch.eye(6, { dtype: 'float64' }).mul(10));
    const [sign, logabs] = torch.linalg.slogdet(m);
    const want = slogdetByHand(m.toArray() as number[][]);
    assert.equal(sign!.item(), want.sign);
    assert.ok(Math.abs(logabs!.item() - want.logabs) < 1e-10, `slogdet ${logabs!.item()} vs ${want.logabs} by hand`);
    // inv allocates its LAPACK workspace the same way: m inv(m) must be the identity.
    const err = m.matmul(torch.linalg.inv(m)).sub(torch.eye(6, { dtype: 'float64' })).abs().max().item();
    assert.ok(err < 1e-12, `|m inv(m) - I| = ${err}`);
  });
});

/** sign and log|det| of a square matrix by Gaussian elimination with partial pivoting, in float64 JS. */
function slogdetByHand(rows: number[][]): { sign: number; logabs: number } {
  const a = rows.map((r) => [...r]);
  const n = a.length;
  let sign = 1, logabs = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i]![k]!) > Math.abs(a[p]![k]!)) p = i;
    if (p !== k) {
      [a[p], a[k]] = [a[k]!, a[p]!];
      sign = -sign;
    }
    const piv = a[k]![k]!;
    if (piv === 0) return { sign: 0, logabs: -Infinity };
    if (piv < 0) sign = -sign;
    logabs += Math.log(Math.abs(piv));
    for (let i = k + 1; i < n; i++) {
      const f = a[i]![k]! / piv;
      for (let j = k; j < n; j++) a[i]![j]! -= f * a[k]![j]!;
    }
  }
  return { sign, logabs };
}
