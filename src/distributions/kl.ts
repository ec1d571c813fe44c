/** Closed-form KL divergences KL(p || q). */
import type { Tensor } from '../tensor/index.ts';
import type { Distribution } from './distribution.ts';
import { Normal, DiagonalNormal, StandardNormal } from './normal.ts';
import { Bernoulli } from './bernoulli.ts';
import { Categorical } from './categorical.ts';

/** KL(N(μp, σp²) || N(μq, σq²)) = log(σq/σp) + (σp² + (μp - μq)²) / (2σq²) - ½, elementwise. */
function klNormal(pLoc: Tensor, pScale: Tensor, qLoc: Tensor, qScale: Tensor): Tensor {
  const varRatio = pScale.div(qScale).square();
  const t1 = pLoc.sub(qLoc).div(qScale).square();
  return varRatio.add(t1).sub(1).sub(varRatio.log()).mul(0.5);
}

/**
 * klDivergence(p, q) in nats, shape batchShape, for the pairs with a closed form:
 * Normal/Normal, DiagonalNormal/DiagonalNormal, DiagonalNormal/StandardNormal (the VAE term
 * ½ Σ(σ² + μ² - 1 - log σ²)), Bernoulli/Bernoulli, Categorical/Categorical.
 */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  if (p instanceof Normal && q instanceof Normal) return klNormal(p.loc, p.scale, q.loc, q.scale);
  if (p instanceof DiagonalNormal && q instanceof DiagonalNormal) return klNormal(p.loc, p.scale, q.loc, q.scale).sum(-1);
  if (p instanceof DiagonalNormal && q instanceof StandardNormal) {
    if (q.eventShape.length !== 1 || q.eventShape[0] !== p.eventShape[0]) {
      throw new RangeError(`klDivergence: DiagonalNormal event [${p.eventShape}] vs StandardNormal event [${q.eventShape}]`);
    }
    const v = p.scale.square();
    return v.add(p.loc.square()).sub(1).sub(v.log()).mul(0.5).sum(-1);
  }
  if (p instanceof Bernoulli && q instanceof Bernoulli) {
    // p log(p/q) + (1-p) log((1-p)/(1-q)) via softplus of logits (stable at p near 0 or 1).
    const t1 = p.probs.mul(q.logits.neg().softplus().sub(p.logits.neg().softplus()));
    const t2 = p.probs.neg().add(1).mul(q.logits.softplus().sub(p.logits.softplus()));
    return t1.add(t2);
  }
  if (p instanceof Categorical && q instanceof Categorical) {
    if (p.numClasses !== q.numClasses) throw new RangeError(`klDivergence: ${p.numClasses} vs ${q.numClasses} classes`);
    return p.probs.mul(p.logits.sub(q.logits)).sum(-1);
  }
  throw new TypeError(`klDivergence: no closed form registered for ${p.constructor.name} || ${q.constructor.name}`);
}
