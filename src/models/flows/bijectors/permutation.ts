/** Fixed permutations of dim 1 (features, or channels of images): reverse or a seeded random one. log|det| = 0. */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, zeroLogDet } from '../bijector.ts';

export class Permutation extends Bijector {
  private readonly perm: Tensor;
  private readonly invPerm: Tensor;

  /** perm[i] = the input index that goes to output position i. */
  constructor(perm: number[]) {
    super();
    const sorted = [...perm].sort((a, b) => a - b);
    if (!sorted.every((v, i) => v === i)) throw new RangeError(`Permutation: [${perm.join(', ')}] is not a permutation of 0..${perm.length - 1}`);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    this.perm = this.buffer('perm', torch.tensor(perm, { dtype: 'int64' }));
    this.invPerm = this.buffer('invPerm', torch.tensor(inv, { dtype: 'int64' }));
  }

  forward(x: Tensor) {
    return { y: x.indexSelect(1, this.perm), logDet: zeroLogDet(x) };
  }
  inverse(y: Tensor) {
    return { x: y.indexSelect(1, this.invPerm), logDet: zeroLogDet(y) };
  }
}

/** Reverses the order of dim 1. */
export class Reverse extends Permutation {
  constructor(d: number) {
    super(Array.from({ length: d }, (_, i) => d - 1 - i));
  }
}

/** A fixed random permutation of dim 1 drawn from a seeded generator (same seed, same permutation). */
export class RandomPermutation extends Permutation {
  constructor(d: number, seed = 0) {
    const g = new torch.Generator({ seed });
    const p = torch.scope(() => torch.randperm(d, { generator: g }).toFlatArray());
    super(p);
  }
}
