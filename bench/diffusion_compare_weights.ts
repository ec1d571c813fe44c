import { loadTrainingCheckpoint } from '../src/train/checkpoint.ts';
import { RunDir } from '../src/train/run.ts';
const [a, b] = process.argv.slice(2);
const ca = loadTrainingCheckpoint(new RunDir(a!).latestIntactCheckpoint()!);
const cb = loadTrainingCheckpoint(new RunDir(b!).latestIntactCheckpoint()!);
let worst = 0, wk = '';
for (const [k, t] of Object.entries(ca.ema ?? {})) { const d = t.sub(cb.ema![k]!).abs().max().item(); if (d > worst) { worst = d; wk = k; } }
let worstM = 0;
for (const [k, t] of Object.entries(ca.model.net!)) { worstM = Math.max(worstM, t.sub(cb.model.net![k]!).abs().max().item()); }
console.log(JSON.stringify({ emaMaxAbsDiff: worst, at: wk, modelMaxAbsDiff: worstM, n: Object.keys(ca.ema ?? {}).length }));
