"""Per-operator CPU profile of a bench step, for comparison with genlab's torch.profiler (bench/op-profile.ts).

A reference bench calls maybe_profile(step) after its warm-up: when GENLAB_OP_PROFILE names a file, `step`
runs GENLAB_OP_PROFILE_STEPS times (default 5), each under its own torch.autograd.profiler, and the
per-operator key_averages of each step (name, calls, self and total CPU microseconds) are written there as JSON
(the caller takes each operator's minimum over steps: on a loaded machine a preemption lands on a random operator).
"""
import json
import os

import torch


def maybe_profile(step):
    path = os.environ.get('GENLAB_OP_PROFILE')
    if not path:
        return False
    n = int(os.environ.get('GENLAB_OP_PROFILE_STEPS', '5'))
    per_step = []
    for _ in range(n):
        with torch.autograd.profiler.profile() as prof:
            step()
        per_step.append([{'name': e.key, 'count': e.count, 'selfUs': e.self_cpu_time_total, 'totalUs': e.cpu_time_total}
                         for e in prof.key_averages()])
    with open(path, 'w') as f:
        json.dump({'steps': per_step}, f)
    return True
