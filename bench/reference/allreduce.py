"""One rank of the all-reduce benchmark in PyTorch (torch.distributed, Gloo), the peer of
bench/distributed_worker.ts allreduce: median wall ms of one all-reduce per float32 size; rank 0
prints JSON. Started with torchrun's variables (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE)."""
import json
import statistics
import sys
import time

import torch
import torch.distributed as dist

torch.set_num_threads(1)
dist.init_process_group('gloo', init_method='env://')
out = []
for n in [int(s) for s in sys.argv[1].split(',')]:
    t = torch.ones(n)
    reps = max(10, min(300, round(4e7 / (4 * n))))
    for _ in range(3):
        dist.all_reduce(t)
    dist.barrier()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        dist.all_reduce(t)
        times.append((time.perf_counter() - t0) * 1000)
    out.append({'floats': n, 'ms': statistics.median(times)})
if dist.get_rank() == 0:
    print(json.dumps(out))
dist.destroy_process_group()
