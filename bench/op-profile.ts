/**
 * `--profile N` of the model benches: one workload's step profiled per operator on both sides, genlab
 * through torch.profiler and PyTorch through torch.autograd.profiler (bench/reference/op_profile.py,
 * asked for through GENLAB_OP_PROFILE), printed side by side: calls and self CPU ms per step of every
 * operator, largest difference first. Each of the N steps is profiled on its own and every operator keeps
 * its smallest time over the steps (both profilers time wall-clock; on a shared machine a preemption lands
 * on a random operator, and the minimum drops it). Nothing is written to bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../src/tensor/index.ts';

export interface OpRow {
  name: string;
  count: number;
  selfUs: number;
}

/** Per operator name: the count of the first step and the smallest self time over the steps (absent = 0). */
export function minOverSteps(steps: OpRow[][]): OpRow[] {
  const names = new Set(steps.flatMap((s) => s.map((r) => r.name)));
  return [...names].map((name) => {
    const rows = steps.map((s) => s.find((r) => r.name === name));
    return { name, count: Math.max(...rows.map((r) => r?.count ?? 0)), selfUs: Math.min(...rows.map((r) => r?.selfUs ?? 0)) };
  });
}

/** Profiles `steps` calls of step in genlab, runs the PyTorch command with GENLAB_OP_PROFILE set, prints the comparison. */
export function compareOpProfiles(title: string, step: () => void, steps: number, python: { args: string[]; env: NodeJS.ProcessEnv }): void {
  const ours: OpRow[][] = [];
  let outside = Infinity;
  for (let i = 0; i < steps; i++) {
    const p = torch.profiler.profile(step);
    ours.push(p.byName());
    outside = Math.min(outside, p.wallUs - p.opUs);
  }
  const path = join(tmpdir(), `genlab-op-profile-${process.pid}.json`);
  const py = spawnSync('/usr/bin/python3', python.args, { encoding: 'utf8', env: { ...python.env, GENLAB_OP_PROFILE: path, GENLAB_OP_PROFILE_STEPS: String(steps) } });
  if (py.status !== 0) throw new Error(`PyTorch profile failed: ${py.stderr}`);
  const theirs = JSON.parse(readFileSync(path, 'utf8')) as { steps: OpRow[][]; outsideUs: number };
  rmSync(path, { force: true });
  console.log(formatComparison(title, minOverSteps(ours), minOverSteps(theirs.steps), outside, theirs.outsideUs));
}

export function formatComparison(title: string, ours: OpRow[], theirs: OpRow[], outsideUs: number, theirOutsideUs: number): string {
  const names = new Set([...ours.map((r) => r.name), ...theirs.map((r) => r.name)]);
  const get = (rows: OpRow[], n: string) => rows.find((r) => r.name === n) ?? { name: n, count: 0, selfUs: 0 };
  const rows = [...names].map((n) => ({ n, a: get(ours, n), b: get(theirs, n) }));
  rows.sort((x, y) => Math.abs(y.a.selfUs - y.b.selfUs) - Math.abs(x.a.selfUs - x.b.selfUs));
  const w = Math.max(...rows.map((r) => r.n.length), 13);
  const f = (us: number) => (us / 1000).toFixed(3).padStart(9);
  const c = (k: number) => String(k).padStart(7);
  const out = [`${title}: per step, self ms (smallest over steps) and calls, genlab vs PyTorch, largest difference first`];
  out.push(`${'operator'.padEnd(w)}  ${'genlab'.padStart(9)}  ${'PyTorch'.padStart(9)}  ${'diff'.padStart(9)}  ${'calls g'.padStart(7)}  ${'calls p'.padStart(7)}`);
  for (const { n, a, b } of rows) out.push(`${n.padEnd(w)}  ${f(a.selfUs)}  ${f(b.selfUs)}  ${f(a.selfUs - b.selfUs)}  ${c(a.count)}  ${c(b.count)}`);
  const sum = (rows: OpRow[], k: 'selfUs' | 'count') => rows.reduce((s, r) => s + r[k], 0);
  out.push(`${'all operators'.padEnd(w)}  ${f(sum(ours, 'selfUs'))}  ${f(sum(theirs, 'selfUs'))}  ${f(sum(ours, 'selfUs') - sum(theirs, 'selfUs'))}  ${c(sum(ours, 'count'))}  ${c(sum(theirs, 'count'))}`);
  out.push(`${'outside operators'.padEnd(w)}  ${f(outsideUs)}  ${f(theirOutsideUs)}  ${f(outsideUs - theirOutsideUs)}  (JS or Python, the binding, scopes and frees; smallest over steps)`);
  return out.join('\n');
}
