/**
 * Timing shared by the peer frameworks (bench/peers/*.ts): the same measure as bench/workloads.ts
 * (CPU time of the process via process.cpuUsage, warm-up first, median of `reps` runs of `iters`
 * steps), except that a step slower than `budgetMs / iters` runs fewer iterations (at least 3), so a
 * slow peer doesn't stall the interleaved run, and a step that costs more than `slowMs` is measured
 * once: the cheaper of the first two steps is the result (bench/run.ts then doesn't repeat it in later reps).
 */
export const cpuMs = (t0?: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e3;
};

export function timeit(step: () => void, iters: number, reps: number, budgetMs = 3000, slowMs = 10_000): number {
  const warm = Math.max(3, Math.floor(iters / 10));
  let per = Infinity;
  for (let i = 0; i < warm; i++) {
    const t0 = process.cpuUsage();
    step();
    per = Math.min(per, cpuMs(t0)); // the first step may compile; the cheapest one estimates a step
    if (i === 1 && per > slowMs) return per; // the second step, past any compilation
    if (i >= 1 && per * iters > budgetMs * 4) break; // very slow: two warm-up steps are enough
  }
  const n = Math.max(3, Math.min(iters, Math.floor(budgetMs / Math.max(per, 1e-6))));
  const runs: number[] = [];
  for (let r = 0; r < Math.max(1, reps); r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) step();
    runs.push(cpuMs(t0) / n);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

/** A peer framework's backend: one column of the table. `run` returns ms per iteration (tiny_op_us: us per op). */
export interface PeerColumn {
  column: string;
  describe: string;
  run: (workload: string, reps: number) => Promise<number>;
}

/** Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)) values, PyTorch's default Linear/Conv2d init range. */
export function uniformInit(size: number, fanIn: number): Float32Array {
  const k = 1 / Math.sqrt(fanIn);
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = (Math.random() * 2 - 1) * k;
  return a;
}

export function normal(size: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = 1 - Math.random();
    a[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
  }
  return a;
}

export const labels = (n: number, classes: number) => Int32Array.from({ length: n }, () => Math.floor(Math.random() * classes));
