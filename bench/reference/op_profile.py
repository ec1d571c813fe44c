"""Per-operator CPU profile of a bench step, for comparison with genlab's torch.profiler (bench/op-profile.ts).

A reference bench calls maybe_profile(step) after its warm-up: when GENLAB_OP_PROFILE names a file, `step`
runs GENLAB_OP_PROFILE_STEPS times (default 5), each under its own torch.autograd.profiler, and the
per-operator key_averages of each step (name, calls, self and total CPU microseconds) are written there as JSON
(the caller takes each operator's minimum over steps: on a loaded machine a preemption lands on a random operator),
and the smallest time per step outside top-level operators (Python, the interpreter, frees).
"""
import json
import os
import time

import torch


def maybe_profile(step):
    path = os.environ.get('GENLAB_OP_PROFILE')
    if not path:
        return False
    n = int(os.environ.get('GENLAB_OP_PROFILE_STEPS', '5'))
    per_step = []
    outside = []
    for _ in range(n):
        with torch.autograd.profiler.profile() as prof:
            w0 = time.perf_counter()
            step()
            wall = (time.perf_counter() - w0) * 1e6
        per_step.append([{'name': e.key, 'count': e.count, 'selfUs': e.self_cpu_time_total, 'totalUs': e.cpu_time_total}
                         for e in prof.key_averages()])
        top = sum(e.cpu_time_total for e in prof.function_events if e.cpu_parent is None)
        outside.append(wall - top)
    with open(path, 'w') as f:
        json.dump({'steps': per_step, 'outsideUs': min(outside)}, f)
    return True
