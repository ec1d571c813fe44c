"""PyTorch side of `npm run bench`: the same workloads as bench/workloads.ts, timed the same way.
Prints one JSON object {name: ms_per_iteration}. Run with Debian's python3-torch:
    /usr/bin/python3 bench/reference/engine.py --threads 1 --reps 5
"""
import argparse, json, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--reps', type=int, default=5)
p.add_argument('--only', default='')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def timeit(step, iters, reps):
    for _ in range(max(3, iters // 10)):
        step()
    best = []
    for _ in range(reps):
        t0 = time.process_time()  # CPU time: robust to other processes on the machine
        for _ in range(iters):
            step()
        best.append((time.process_time() - t0) * 1000 / iters)
    best.sort()
    return best[len(best) // 2]


def mlp_step(make_opt):
    model = nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))
    opt = make_opt(model.parameters())
    x = torch.randn(512, 2)
    y = torch.randn(512, 2)
    def step():
        opt.zero_grad(set_to_none=True)
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return timeit(step, 200, args.reps)


def mlp_adam():
    return mlp_step(lambda ps: torch.optim.Adam(ps, lr=1e-3))


def mlp_sgd():
    return mlp_step(lambda ps: torch.optim.SGD(ps, lr=1e-3))


def conv_adam():
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return timeit(step, 20, args.reps)


def tiny_ops():
    a = torch.randn(16)
    b = torch.randn(16)
    def step():
        # 100 small ops: the per-op overhead of the framework
        for _ in range(10):
            c = a + b
            c = c * 2
            c = c - a
            c = c.exp()
            c = c.mul(b)
            c = torch.tanh(c)
            c = c.sum()
            d = a.add_(b)
            d = a.sub_(b)
            c = a.matmul(b)
    return timeit(step, 2000, args.reps) * 1000 / 100  # microseconds per op


work = {'mlp_adam': mlp_adam, 'mlp_sgd': mlp_sgd, 'conv_adam': conv_adam, 'tiny_op_us': tiny_ops}
out = {}
for name, fn in work.items():
    if args.only and name not in args.only.split(','):
        continue
    out[name] = fn()
print(json.dumps(out))
