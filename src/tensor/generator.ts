/** Random number generators (torch.Generator): pass as { generator } to random operators. */
import { N } from './native.ts';

export class Generator {
  /** @internal native handle */
  readonly _g: object;
  readonly device: string;
  constructor(options: { seed?: number; device?: string } = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`new torch.Generator: options must be an object { seed?, device? }, got ${String(options)}`);
    for (const k of Object.keys(options)) {
      if (k !== 'seed' && k !== 'device') throw new TypeError(`new torch.Generator: unknown option '${k}'; options: seed, device`);
    }
    if (options.seed !== undefined) checkSeed(options.seed, 'new torch.Generator', true);
    if (options.device !== undefined && typeof options.device !== 'string') {
      throw new TypeError(`new torch.Generator: device must be a string ('cpu', 'cuda'), got ${String(options.device)}`);
    }
    this.device = options.device ?? 'cpu';
    if (this.device.startsWith('cuda') && N.cudaDeviceCount() === 0) {
      throw new Error(`new torch.Generator: device ${JSON.stringify(this.device)} is not available: this libtorch (${N.buildInfo().torchVersion}) was built without CUDA, or no GPU is visible (torch.cuda.isAvailable() is false)`);
    }
    this._g = N.newGenerator(options.seed, this.device);
  }
  manualSeed(seed: number): this {
    checkSeed(seed, 'Generator.manualSeed', true);
    N.generatorSeed(this._g, seed);
    return this;
  }
  initialSeed(): number {
    return N.generatorSeed(this._g);
  }
}

/**
 * A seed is a safe integer (a string or a fraction is an error, never ignored or truncated). Generators
 * take negative seeds as PyTorch does (modulo 2^64) when `negativeOk`.
 */
export function checkSeed(seed: unknown, what: string, negativeOk = false): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || (!negativeOk && seed < 0)) {
    throw new RangeError(
      `${what}: seed must be ${negativeOk ? 'an' : 'a non-negative'} integer (at most 2^53 - 1 in size), got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}${typeof seed !== 'number' ? ` (${typeof seed})` : ''}`,
    );
  }
  return seed;
}
