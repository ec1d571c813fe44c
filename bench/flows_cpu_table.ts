/**
 * The README's table of the CPU image-flow runs (examples/flows-images-cpu.sh): test bits/dim and the
 * Fréchet distance at each temperature, genlab beside its PyTorch twin, with the CPU time of training.
 *
 *   npx tsx bench/flows_cpu_table.ts [work dir=/tmp/flows-cpu] [set ...]
 * reads <work>/eval-genlab-<set>.json (`genlab eval --json`), <work>/eval-torch-<set>.json
 * (bench/flows_score.ts) and the CPU time of the two training processes from <work>/time-*-<set>.txt
 * (`/usr/bin/time -v`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [work = '/tmp/flows-cpu', ...given] = process.argv.slice(2);
const sets = given.length ? given : ['mnist', 'fashion-mnist'];
const label: Record<string, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };
const temps = ['0.6', '0.7', '0.8', '1'];

/** User + system CPU seconds from a `/usr/bin/time -v` report. */
function cpuSeconds(path: string): number {
  const text = readFileSync(path, 'utf8');
  const get = (k: string) => Number(new RegExp(`${k} \\(seconds\\): ([0-9.]+)`).exec(text)?.[1] ?? NaN);
  return get('User time') + get('System time');
}

const rows = [
  '| data | trained by | test bits/dim | FD T = 0.6 | FD T = 0.7 | FD T = 0.8 | FD T = 1 | training CPU min |',
  '|---|---|---|---|---|---|---|---|',
];
for (const set of sets) {
  for (const [side, name] of [['genlab', 'genlab'], ['torch', 'PyTorch']] as const) {
    const ev = join(work, `eval-${side}-${set}.json`);
    if (!existsSync(ev)) continue;
    const m = (JSON.parse(readFileSync(ev, 'utf8')) as { metrics: Record<string, number> }).metrics;
    const fd = temps.map((t) => {
      const v = m[`fd@T${t}`];
      const bad = m[`nonFinite@T${t}`];
      return v === undefined ? 'n/a' : `${v.toFixed(0)}${bad ? ` (${(100 * bad).toFixed(1)}% non-finite)` : ''}`;
    });
    const time = join(work, `time-${side}-${set}.txt`);
    const cpu = existsSync(time) ? (cpuSeconds(time) / 60).toFixed(1) : 'n/a';
    rows.push(`| ${label[set] ?? set} | ${name} | ${m.bitsPerDim!.toFixed(3)} | ${fd.join(' | ')} | ${cpu} |`);
  }
}
console.log(rows.join('\n'));
