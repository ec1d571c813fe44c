#!/usr/bin/env python3
"""Reference moments for test/data/toy2d.test.ts (its FFJORD table).

FFJORD's 2-D toy generators (Grathwohl et al., 2019, lib/toy_data.py), rewritten here with numpy only:
scikit-learn's make_moons, make_circles and make_swiss_roll are inlined (evenly spaced angles, as sklearn
does). For each set, 400,000 points from a fixed seed; printed: mean, covariance (unbiased, row-major
2x2) and mean |x| per coordinate, rounded to 4 decimals.

Usage: toy2d_moments.py -> prints {name: {"mean": [..], "cov": [..], "absmean": [..]}} as JSON. Needs numpy.
"""
import json

import numpy as np

N = 400_000


def moons(rng, n):
    n_out, n_in = n // 2, n - n // 2
    a_out, a_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.cos(a_out), 1 - np.cos(a_in)])
    y = np.concatenate([np.sin(a_out), 1 - np.sin(a_in) - 0.5])
    pts = np.stack([x, y], 1) + rng.normal(scale=0.1, size=(n, 2))
    return pts * 2 + np.array([-1, -0.2])


def circles(rng, n):
    n_out, n_in = n // 2, n - n // 2
    a_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    x = np.concatenate([np.cos(a_out), 0.5 * np.cos(a_in)])
    y = np.concatenate([np.sin(a_out), 0.5 * np.sin(a_in)])
    pts = np.stack([x, y], 1) + rng.normal(scale=0.08, size=(n, 2))
    return pts * 3


def swissroll(rng, n):
    t = 1.5 * np.pi * (1 + 2 * rng.random_sample(n))
    x, z = t * np.cos(t), t * np.sin(t)
    y = 21 * rng.random_sample(n)
    pts = np.stack([x, y, z], 1) + rng.normal(scale=1.0, size=(n, 3))
    return pts[:, [0, 2]] / 5


def eight_gaussians(rng, n):
    s = 1 / np.sqrt(2)
    centers = 4 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)])
    pts = rng.randn(n, 2) * 0.5 + centers[rng.randint(8, size=n)]
    return pts / 1.414


def pinwheel(rng, n):
    radial_std, tangential_std, num_classes, rate = 0.3, 0.1, 5, 0.25
    per_class = n // num_classes
    rads = np.linspace(0, 2 * np.pi, num_classes, endpoint=False)
    features = rng.randn(num_classes * per_class, 2) * np.array([radial_std, tangential_std])
    features[:, 0] += 1.0
    labels = np.repeat(np.arange(num_classes), per_class)
    angles = rads[labels] + rate * np.exp(features[:, 0])
    rotations = np.stack([np.cos(angles), -np.sin(angles), np.sin(angles), np.cos(angles)])
    rotations = np.reshape(rotations.T, (-1, 2, 2))
    return 2 * np.einsum("ti,tij->tj", features, rotations)


def two_spirals(rng, n):
    m = np.sqrt(rng.rand(n // 2, 1)) * 540 * (2 * np.pi) / 360
    d1x = -np.cos(m) * m + rng.rand(n // 2, 1) * 0.5
    d1y = np.sin(m) * m + rng.rand(n // 2, 1) * 0.5
    x = np.vstack((np.hstack((d1x, d1y)), np.hstack((-d1x, -d1y)))) / 3
    return x + rng.randn(*x.shape) * 0.1


def checkerboard(rng, n):
    x1 = rng.rand(n) * 4 - 2
    x2 = rng.rand(n) - rng.randint(0, 2, n) * 2 + (np.floor(x1) % 2)
    return np.stack([x1, x2], 1) * 2


SETS = {"moons": moons, "circles": circles, "8gaussians": eight_gaussians, "checkerboard": checkerboard,
        "swissroll": swissroll, "pinwheel": pinwheel, "2spirals": two_spirals}


def main():
    out = {}
    for k, (name, make) in enumerate(SETS.items()):
        x = make(np.random.RandomState(1000 + k), N)
        r = lambda v: [round(float(a), 4) for a in np.ravel(v)]
        out[name] = {"mean": r(x.mean(0)), "cov": r(np.cov(x.T)), "absmean": r(np.abs(x).mean(0))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
