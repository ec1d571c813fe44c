/** Random number generators (torch.Generator): pass as { generator } to random operators. */
import { N } from './native.ts';

export class Generator {
  /** @internal native handle */
  readonly _g: object;
  readonly device: string;
  constructor(options: { seed?: number; device?: string } = {}) {
    this.device = options.device ?? 'cpu';
    this._g = N.newGenerator(options.seed, this.device);
  }
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`Generator.manualSeed: seed must be a non-negative integer, got ${seed}`);
    N.generatorSeed(this._g, seed);
    return this;
  }
  initialSeed(): number {
    return N.generatorSeed(this._g);
  }
}
