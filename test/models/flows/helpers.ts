/** Test helpers for flows: brute-force log|det J| from autograd Jacobians, and a full bijector check. */
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import type { Bijector } from '../../../src/models/flows/index.ts';

/**
 * log|det ∂fn(x)/∂x| per example, building J row by row with torch.autograd.grad (x float64,
 * examples independent). fn may change the shape (same number of elements per example).
 */
export function bruteLogDet(fn: (x: Tensor) => Tensor, x: Tensor): Tensor {
  return torch.scope(() => {
    const xi = x.detach().clone().requiresGrad_();
    const y = fn(xi).flatten(1);
    const rows: Tensor[] = [];
    for (let i = 0; i < y.size(1); i++) {
      const [g] = torch.autograd.grad(y.select(1, i).sum(), xi, { retainGraph: true });
      rows.push(g!.flatten(1));
    }
    const J = torch.stack(rows, 1);
    return torch.linalg.slogdet(J)[1]!;
  });
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  return torch.scope(() => a.sub(b).abs().max().item());
}

/**
 * Checks a bijector on x: logDet shape [B], forward logDet = brute force, inverse(forward(x)) = x,
 * inverse logDet = -forward logDet, and the inverse's logDet against brute force too.
 */
export function checkBijector(b: Bijector, x: Tensor, tol = 1e-8): void {
  torch.scope(() => {
    const { y, logDet } = b.forward(x);
    assert.deepEqual(logDet.shape, [x.size(0)], `${b.name}: logDet shape`);
    const brute = bruteLogDet((t) => b.forward(t).y, x);
    const e1 = maxAbsDiff(logDet, brute);
    assert.ok(e1 < tol, `${b.name}: forward logDet off by ${e1} (got ${logDet.toFlatArray()} vs ${brute.toFlatArray()})`);
    const back = b.inverse(y.detach());
    const e2 = maxAbsDiff(back.x, x);
    assert.ok(e2 < tol * 100, `${b.name}: inverse(forward(x)) off by ${e2}`);
    const e3 = maxAbsDiff(back.logDet, logDet.neg());
    assert.ok(e3 < tol * 100, `${b.name}: inverse logDet off by ${e3}`);
    const bruteInv = bruteLogDet((t) => b.inverse(t).x, y.detach());
    const e4 = maxAbsDiff(back.logDet, bruteInv);
    assert.ok(e4 < tol * 100, `${b.name}: inverse logDet vs brute force off by ${e4}`);
  });
}
