/**
 * Scores weights trained outside genlab (bench/reference/flows_images.py, the PyTorch twin) with
 * genlab's own evaluation: the model of the export (bench/flows_export.ts) is built by genlab, the
 * weights are loaded into it by name, and `evaluateRun` gives test bits/dim and the Fréchet distance
 * of the classifier features at each temperature, exactly as `genlab eval <run> --temperatures ...
 * --fd-samples N` does for a genlab run of the same seed (same held-out split, same noise seeds).
 * Optionally writes the temperature grid (as `genlab sample <run> --temperatures` does).
 *
 *   npx tsx bench/flows_score.ts <dir> <model> <set> <weights.safetensors> [--temperatures 0.6,0.7,0.8,1]
 *       [--fd-samples 2000] [--grid out.png] [--grid-temperatures 0.5,0.6,0.7,0.8,1] [--json out.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { torch } from '../src/tensor/index.ts';
import '../src/models/flows/models.ts';
import { dataInfo } from '../src/train/data.ts';
import { buildModel, type OpenedRun } from '../src/train/session.ts';
import { evaluateRun } from '../src/train/evaluate.ts';
import { loadSafetensors } from '../src/io/safetensors.ts';
import { temperatureGrids } from '../src/models/flows/pictures.ts';
import type { RunConfig } from '../src/train/run.ts';
import { flag } from './args.ts';
import { deriveSeed } from '../src/train/seed.ts';

const [dir, model, set, weights] = process.argv.slice(2);
if (!dir || !model || !set || !weights) {
  console.error('usage: flows_score.ts <dir> <model> <set> <weights.safetensors> [--temperatures 0.6,0.7,0.8,1] [--fd-samples N] [--grid out.png] [--json out.json]');
  process.exit(2);
}
const temps = (s: string) => s.split(',').map(Number);
const temperatures = temps(flag('temperatures', '0.6,0.7,0.8,1'));
const fdSamples = Number(flag('fd-samples', '2000'));
const grid = flag('grid', '');
const json = flag('json', '');

const meta = JSON.parse(readFileSync(`${dir}/${model}-${set}.json`, 'utf8'));
const config: RunConfig = { version: 1, model, modelConfig: meta.modelConfig, data: dataInfo(set), train: meta.train, createdAt: new Date().toISOString() };
const m = buildModel(config);
const flow = m.modules.flow!;
const sd = loadSafetensors(weights);
torch.noGrad(() => flow.loadStateDict(sd.tensors));
const opened: OpenedRun = { run: { dir: weights, name: `${model}-${set} (PyTorch weights)` } as OpenedRun['run'], config, model: m, step: meta.train.steps, checkpoint: weights, ema: Boolean(meta.train.ema), dispose: () => m.dispose?.() };
const cpu0 = process.cpuUsage();
const r = await evaluateRun(opened, { temperatures, fdSamples });
const u = process.cpuUsage(cpu0);
const out = { ...r, weights, evalCpuSeconds: (u.user + u.system) / 1e6 };
console.log(JSON.stringify(out));
if (json) writeFileSync(json, JSON.stringify(out, null, 1));
if (grid) {
  const gridTemps = temps(flag('grid-temperatures', '0.5,0.6,0.7,0.8,1'));
  // the noise of `genlab sample <run> --temperatures` on a genlab run of the same seed and steps: the two grids start from the same z
  temperatureGrids(m, gridTemps, { n: 64, seed: deriveSeed(config.train.seed, 'sample', meta.train.steps), range: config.data.range ?? [0, 1] }).savePng(grid);
  console.error(`wrote ${grid}`);
}
opened.dispose();
