#!/usr/bin/env python3
"""Reference value for test/metrics/metrics.test.ts (frechetDistance, 'closed form for given Gaussians').

Sigma1 = A A^T + 0.1 I, Sigma2 = B B^T + 0.05 I, A_ij = sin(1 + 7i + 3j), B_ij = 0.8 cos(2 + 5i + 11j), mu1_i = sin i,
mu2_i = cos(i) / 2 (d = 5). FD = |mu1 - mu2|^2 + Tr S1 + Tr S2 - 2 sum sqrt(eig(S1 S2)) with numpy's eigvals of
the product (its eigenvalues are real and positive: S1 S2 is similar to S1^1/2 S2 S1^1/2).

Usage: metrics.py -> prints {"frechetGaussians": FD} as JSON. Needs numpy.
"""
import json

import numpy as np


def main():
    d = 5
    i, j = np.meshgrid(np.arange(d), np.arange(d), indexing="ij")
    a = np.sin(1 + 7 * i + 3 * j)
    b = 0.8 * np.cos(2 + 5 * i + 11 * j)
    s1 = a @ a.T + 0.1 * np.eye(d)
    s2 = b @ b.T + 0.05 * np.eye(d)
    mu1 = np.sin(np.arange(d))
    mu2 = np.cos(np.arange(d)) / 2
    eig = np.linalg.eigvals(s1 @ s2)
    fd = float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(eig.real)))
    print(json.dumps({"frechetGaussians": fd}))


if __name__ == "__main__":
    main()
