/**
 * Exact optimal transport between two minibatches of equal size (Tong et al. 2023's OT-CFM pairing):
 * the assignment minimizing Σ_i |x_i - y_π(i)|² is a linear assignment problem, solved exactly by
 * the Hungarian algorithm (Kuhn–Munkres with row/column potentials and shortest augmenting paths,
 * O(n³); plain numbers, no tensors). n = 256 takes a few ms.
 */
import { torch, type Tensor } from '../../tensor/index.ts';

/**
 * The permutation π (π[i] = column of row i) minimizing Σ_i cost[i][π(i)] for a square cost matrix
 * given row-major as n*n numbers.
 */
export function linearSumAssignment(cost: ArrayLike<number>, n: number): number[] {
  if (cost.length !== n * n) throw new RangeError(`linearSumAssignment: need ${n}x${n} = ${n * n} costs, got ${cost.length}`);
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const match = new Int32Array(n + 1); // match[j] = row (1-based) assigned to column j; 0 = none
  const way = new Int32Array(n + 1);
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    match[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = match[j0]!;
      const row = (i0 - 1) * n;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[row + j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      if (!Number.isFinite(delta)) throw new RangeError('linearSumAssignment: costs must be finite');
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[match[j]!] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (match[j0] !== 0);
    do {
      const j1 = way[j0]!;
      match[j0] = match[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(n);
  for (let j = 1; j <= n; j++) out[match[j]! - 1] = j - 1;
  return out;
}

/**
 * Reorders `noise` so that (data[i], noise'[i]) is the exact squared-Euclidean OT coupling of the two
 * minibatches (any shapes [n, ...]). Returns the reordered noise and the permutation.
 */
export function otPairNoise(data: Tensor, noise: Tensor): { noise: Tensor; perm: number[] } {
  const n = data.size(0);
  if (noise.size(0) !== n) throw new RangeError(`otPairNoise: batches differ in size (${n} vs ${noise.size(0)})`);
  const perm = torch.noGrad(() =>
    torch.scope(() => {
      const c = torch.cdist(data.reshape([n, -1]).to('float64'), noise.reshape([n, -1]).to('float64')).square();
      return linearSumAssignment(c.toFlatArray() as ArrayLike<number>, n);
    }),
  );
  const idx = torch.tensor(perm, { dtype: 'int64' });
  return { noise: noise.indexSelect(0, idx), perm };
}
