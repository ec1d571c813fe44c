/**
 * genlab's side of the 2D comparison with PyTorch (bench/reference/flows_2d.py): draws train/test
 * sets from the toy-data generators with fixed seeds, writes them as float32 files for the Python
 * script, trains RealNVP and NSF with the family defaults, and prints test NLL (nats) and time.
 *   node --import tsx src/models/flows/compare2d.ts [outDir] [steps]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { torch } from '../../tensor/index.ts';
import { toy2d } from '../../data/toy2d.ts';
import { getModel } from '../registry.ts';
import './models.ts';
import { fit } from './fit.ts';

const out = process.argv[2] ?? '/tmp/genlab-flows2d';
const steps = Number(process.argv[3] ?? 3000);
const models = (process.env.MODELS ?? 'realnvp,nsf').split(',');
const sets = (process.env.SETS ?? 'moons,8gaussians,checkerboard').split(',');
mkdirSync(out, { recursive: true });
torch.setNumThreads(Number(process.env.THREADS ?? 1));
const results: Record<string, unknown>[] = [];
for (const name of sets) {
  const train = toy2d[name]!.sample(10_000, new torch.Generator({ seed: 1 })).keep();
  const test = toy2d[name]!.sample(5_000, new torch.Generator({ seed: 2 })).keep();
  writeFileSync(join(out, `${name}_train.f32`), Buffer.from((train.toTypedArray() as Float32Array).buffer));
  writeFileSync(join(out, `${name}_test.f32`), Buffer.from((test.toTypedArray() as Float32Array).buffer));
  for (const m of models) {
    torch.manualSeed(0);
    const fam = getModel(m);
    const inst = fam.create(structuredClone(fam.defaultConfig), { name, kind: '2d', shape: [2] });
    const r = fit(inst, train, { steps, batch: 256, lr: 1e-3, seed: 0 });
    const nll = inst.evaluate!(test).nll!;
    results.push({ impl: 'genlab', model: m, data: name, steps, testNll: Number(nll.toFixed(4)), seconds: Number(r.seconds.toFixed(1)) });
    console.log(JSON.stringify(results[results.length - 1]));
    inst.dispose?.();
  }
  train.dispose();
  test.dispose();
}
writeFileSync(join(out, 'genlab.json'), JSON.stringify(results, null, 1));
