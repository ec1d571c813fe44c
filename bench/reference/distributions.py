#!/usr/bin/env python3
"""Reference values for test/distributions/distributions.test.ts (its REF table), from torch.distributions.

Usage: distributions.py -> prints REF as JSON (float64; the test checks its table equals this output).
Needs python3-torch (Debian's is 1.13). The inputs are the test's own.
"""
import json

import torch
import torch.distributions as D
from torch.distributions.transforms import AffineTransform, SigmoidTransform

torch.set_default_dtype(torch.float64)
D.Distribution.set_default_validate_args(False)  # fractional Bernoulli targets below
t = torch.tensor


def lst(x):
    return x.tolist()


def main():
    n = D.Normal(t([0.3, -1.2, 2.0]), t([0.5, 1.5, 0.1]))
    x = t([0.1, 0.4, 2.05])
    b = D.Bernoulli(logits=t([-2.0, 0.3, 4.0]))
    c = D.Categorical(logits=t([[0.1, -1, 2, 0.5], [1, 1, 1, 1]]))
    g = D.Gumbel(t(0.5), t(2.0))
    r = D.RelaxedOneHotCategorical(t(0.7), logits=t([0.2, -0.4, 1.0]))
    logistic = D.TransformedDistribution(D.Uniform(t(0.0), t(1.0)), [SigmoidTransform().inv, AffineTransform(t(0.4), t(1.3))])
    p, q = D.Normal(t([0.3, -1.0]), t([0.5, 2.0])), D.Normal(t([1.0, 0.0]), t([1.5, 0.7]))
    ind = lambda d: D.Independent(d, 1)
    ref = {
        "normal": {"logProb": lst(n.log_prob(x)), "entropy": lst(n.entropy()), "cdf": lst(n.cdf(x))},
        "bernoulli": {
            "logProb": lst(b.log_prob(t([0.0, 1.0, 1.0]))),
            # fractional targets: Bernoulli's log_prob is -BCE-with-logits, defined for values in [0, 1]
            "logProbFrac": lst(b.log_prob(t([0.2, 0.7, 1.0]))),
            "entropy": lst(b.entropy()),
        },
        "categorical": {"logProb": lst(c.log_prob(t([2, 3]))), "entropy": lst(c.entropy())},
        "gumbel": {"logProb": lst(g.log_prob(t([-1.0, 0.5, 3.0]))), "entropy": g.entropy().item(), "mean": g.mean.item()},
        "relaxed": {"logProb": lst(r.log_prob(t([[0.2, 0.3, 0.5], [0.05, 0.9, 0.05]])))},
        "logistic": {"logProb": lst(logistic.log_prob(t([-2.0, 0.4, 3.0])))},
        "klNormal": lst(D.kl_divergence(p, q)),
        "klDiag": D.kl_divergence(ind(p), ind(q)).item(),
        "klDiagStd": D.kl_divergence(ind(p), ind(D.Normal(t([0.0, 0.0]), t([1.0, 1.0])))).item(),
        "klBern": lst(D.kl_divergence(b, D.Bernoulli(logits=t([1.0, -0.5, 3.0])))),
        "klCat": D.kl_divergence(D.Categorical(logits=t([0.1, -1, 2, 0.5])), D.Categorical(logits=t([1.0, 0, -1, 0.2]))).item(),
    }
    print(json.dumps(ref))


if __name__ == "__main__":
    main()
