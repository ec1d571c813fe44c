/**
 * Prints the image-flow results table (markdown) from finished runs:
 *   npx tsx bench/flows_table.ts [runsDir=/tmp/flowruns]
 * expecting, per <model>-<data>: the genlab run folder (metrics.jsonl), <name>.eval.json
 * (`genlab eval --json`) and <name>.torch.json (bench/reference/flows_images.py's output line).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/tmp/flowruns';
const rows: string[] = [
  '| model | data | steps × batch | genlab test bits/dim | PyTorch test bits/dim | Δ | genlab train s | PyTorch train s (CPU s) |',
  '|---|---|---|---|---|---|---|---|',
];
const names: Record<string, string> = { glow: 'Glow', realnvp: 'RealNVP', mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };
for (const model of ['glow', 'realnvp']) {
  for (const data of ['mnist', 'fashion-mnist']) {
    const name = `${model}-${data}`;
    const evalPath = join(dir, `${name}.eval.json`);
    const torchPath = join(dir, `${name}.torch.json`);
    const metricsPath = join(dir, name, 'metrics.jsonl');
    if (!existsSync(evalPath) || !existsSync(metricsPath)) continue;
    const ev = JSON.parse(readFileSync(evalPath, 'utf8')) as { metrics: { bitsPerDim: number }; step: number };
    const recs = readFileSync(metricsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { time: number });
    const cfg = JSON.parse(readFileSync(join(dir, name, 'config.json'), 'utf8')) as { train: { steps: number; batch: number } };
    const text = existsSync(torchPath) ? readFileSync(torchPath, 'utf8').trim() : '';
    const pt = text ? (JSON.parse(text.split('\n').pop()!) as { bitsPerDim: number; trainSeconds: number; cpuSeconds: number }) : null;
    const g = ev.metrics.bitsPerDim;
    rows.push(
      `| ${names[model]} | ${names[data]} | ${cfg.train.steps} × ${cfg.train.batch} | ${g.toFixed(3)} | ${pt ? pt.bitsPerDim.toFixed(3) : 'n/a'} | ${pt ? (g - pt.bitsPerDim >= 0 ? '+' : '−') + Math.abs(g - pt.bitsPerDim).toFixed(3) : ''} | ${recs[recs.length - 1]!.time.toFixed(0)} | ${pt ? `${pt.trainSeconds.toFixed(0)} (${pt.cpuSeconds.toFixed(0)})` : ''} |`,
    );
  }
}
console.log(rows.join('\n'));
