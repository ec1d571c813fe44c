/**
 * RealNVP/Glow multi-scale architecture as one bijector: levels of bijectors over images; after each
 * level but the last, half of the channels are factored out (sent straight to the output) and the
 * rest go on to the next level. The output is the flat concatenation [B, D] of the factored-out parts
 * and the last level's output, in that order; with a N(0, I) base over [D] this is the usual
 * multi-scale likelihood. Priors: 'standard' gives every factored-out half a standard normal
 * (RealNVP); 'learned' gives each factored-out half Glow's Gaussian conditioned on the kept half
 * (SplitPrior) and the top level a learned, optionally class-conditional, Gaussian (TopPrior), both
 * written as bijectors onto the N(0, I) base (learned-prior.ts).
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { Bijector, numel, type BijectorOptions } from '../bijector.ts';
import { SplitPrior, TopPrior } from './learned-prior.ts';

export interface MultiScaleOptions extends BijectorOptions {
  /** 'standard' (RealNVP, default) or 'learned' (Glow's split and top priors). */
  priors?: 'standard' | 'learned';
  /** Classes of a class-conditional top prior (learned priors only); the context is then one-hot labels. */
  classes?: number;
}

export class MultiScale extends Bijector {
  /** Per level: the shape entering it, the shape it outputs, and the shape factored out (null for the last). */
  readonly plan: { inShape: number[]; outShape: number[]; factored: number[] | null; kept: number[] }[] = [];
  readonly outputDim: number;
  /** Learned priors of the factored-out halves (per level but the last) and of the top, when priors = 'learned'. */
  readonly splitPriors: (SplitPrior | null)[] = [];
  readonly topPrior: TopPrior | null = null;

  /** levels[i] is the list of bijectors of level i; inputShape is [C, H, W]. */
  constructor(readonly levels: Bijector[][], readonly imageShape: number[], options: MultiScaleOptions = {}) {
    super();
    const priors = options.priors ?? 'standard';
    if (priors !== 'standard' && priors !== 'learned') throw new RangeError(`MultiScale: priors must be 'standard' or 'learned', got ${JSON.stringify(priors)}`);
    if (options.classes !== undefined && (priors !== 'learned' || !Number.isInteger(options.classes) || options.classes < 1)) {
      throw new RangeError(`MultiScale: classes (${options.classes}) needs learned priors and a positive integer`);
    }
    let shape = imageShape;
    levels.forEach((level, i) => {
      level.forEach((b, j) => this.child(`level${i}_${j}`, b));
      const inShape = shape;
      const outShape = level.reduce((s, b) => b.outputShape(s), shape);
      const last = i === levels.length - 1;
      const [c, h, w] = outShape as [number, number, number];
      const factored = last ? null : [Math.floor(c / 2), h, w];
      const kept = last ? outShape : [c - Math.floor(c / 2), h, w];
      this.plan.push({ inShape, outShape, factored, kept });
      this.splitPriors.push(priors === 'learned' && factored ? this.child(`prior${i}`, new SplitPrior(kept[0]!, factored[0]!, options)) : null);
      shape = kept;
    });
    if (priors === 'learned') this.topPrior = this.child('top', new TopPrior(shape[0]!, { dtype: options.dtype, classes: options.classes }));
    this.outputDim = numel(imageShape);
  }

  override outputShape(): number[] {
    return [this.outputDim];
  }
  override inputShape(): number[] {
    return this.imageShape;
  }

  /** Runs one level forward; returns the factored-out part (flattened, or null) and the rest. */
  forwardLevel(i: number, x: Tensor, context?: Tensor): { out: Tensor | null; rest: Tensor; logDet: Tensor } {
    let h = x;
    let logDet: Tensor | null = null;
    for (const b of this.levels[i]!) {
      // Each layer in its own scope: its temporaries are freed as soon as it returns (autograd keeps
      // what backward needs), so memory is reused while hot, as in PyTorch.
      const r = torch.scope(() => b.forward(h, context));
      h = r.y;
      logDet = logDet ? logDet.add(r.logDet) : r.logDet;
    }
    const p = this.plan[i]!;
    logDet ??= torch.zeros([x.size(0)], { dtype: x.dtype, device: x.device });
    if (!p.factored) {
      if (!this.topPrior) return { out: null, rest: h, logDet };
      const r = this.topPrior.forward(h, context);
      return { out: null, rest: r.y, logDet: logDet.add(r.logDet) };
    }
    let out = h.narrow(1, 0, p.factored[0]!);
    const rest = h.narrow(1, p.factored[0]!, p.kept[0]!);
    const prior = this.splitPriors[i];
    if (prior) {
      const r = prior.forward(out, rest);
      out = r.y;
      logDet = logDet.add(r.logDet);
    }
    return { out: out.flatten(1), rest, logDet };
  }

  forward(x: Tensor, context?: Tensor) {
    const outs: Tensor[] = [];
    let h = x;
    let logDet: Tensor | null = null;
    for (let i = 0; i < this.levels.length; i++) {
      const r = this.forwardLevel(i, h, context);
      if (r.out) outs.push(r.out);
      h = r.rest;
      logDet = logDet ? logDet.add(r.logDet) : r.logDet;
    }
    outs.push(h.flatten(1));
    return { y: torch.cat(outs, 1), logDet: logDet! };
  }

  inverse(y: Tensor, context?: Tensor) {
    const b = y.size(0);
    // Split y into the factored parts and the final part.
    const sizes = this.plan.map((p) => (p.factored ? numel(p.factored) : 0)).filter((n) => n > 0);
    const last = this.plan[this.plan.length - 1]!;
    sizes.push(numel(last.kept));
    const pieces = y.splitWithSizes(sizes, 1);
    let h = pieces[pieces.length - 1]!.reshape([b, ...last.kept]);
    let logDet: Tensor | null = null;
    if (this.topPrior) {
      const r = this.topPrior.inverse(h, context);
      h = r.x;
      logDet = r.logDet;
    }
    let k = pieces.length - 2;
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const p = this.plan[i]!;
      if (p.factored) {
        let out = pieces[k--]!.reshape([b, ...p.factored]);
        const prior = this.splitPriors[i];
        if (prior) {
          const r = prior.inverse(out, h);
          out = r.x;
          logDet = logDet ? logDet.add(r.logDet) : r.logDet;
        }
        h = torch.cat([out, h], 1);
      }
      const level = this.levels[i]!;
      for (let j = level.length - 1; j >= 0; j--) {
        const r = level[j]!.inverse(h, context);
        h = r.x;
        logDet = logDet ? logDet.add(r.logDet) : r.logDet;
      }
    }
    return { x: h, logDet: logDet ?? torch.zeros([b], { dtype: y.dtype, device: y.device }) };
  }
}
