/** `genlab sample <run>`: draws samples from a trained run (EMA weights when it has them). */
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { torch } from '../../tensor/index.ts';
import { saveSafetensors } from '../../io/safetensors.ts';
import { writeSamplePictures, deriveSeed } from '../../train/index.ts';
import { openRunFromArgs, RUN_FLAGS } from './shared.ts';
import { flowOf, flowTrajectory, temperatureGrids, writeTrajectory } from '../../models/flows/pictures.ts';

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'Draw samples from a trained run (a PNG picture, or a .safetensors tensor)',
  usage: '<run> [--n N] [--out file.png|file.safetensors] [flags]',
  flags: {
    n: { type: 'int', help: 'number of samples (default: 64 images or 2000 points)' },
    out: { type: 'string', help: 'output file: .png (grid / scatter) or .safetensors (default runs/<run>/samples/sample-<step>-seed<seed>.png)' },
    temperature: { type: 'float', default: 1, help: 'scale of the base noise' },
    steps: { type: 'int', help: 'sampler steps (families that have a sampler)' },
    sampler: { type: 'string', help: 'diffusion: sampler (euler, heun, dpmpp-2m, ddim, ddpm, pf-ode, ...; default the run\'s)' },
    sigmas: { type: 'string', help: 'diffusion: sigma schedule (karras, exponential, polyexponential, vp, uniform)' },
    guidance: { type: 'float', help: 'diffusion: classifier-free guidance scale (class-conditional runs; 1 = none)' },
    class: { type: 'int', help: 'diffusion: draw every sample of this class (class-conditional runs)' },
    seed: { type: 'int', default: 0, help: 'sampling seed' },
    'top-k': { type: 'int', help: 'autoregressive models: sample among the k most likely tokens' },
    'top-p': { type: 'float', help: 'autoregressive models: sample in the nucleus of probability p' },
    ...RUN_FLAGS,
    trajectory: { type: 'bool', help: '2D flows: write trajectory-<step>.gif and -strip.png, base samples moving through the layers (or a CNF\'s ODE)' },
    temperatures: { type: 'string', help: 'images: one grid per temperature side by side, e.g. 0.5,0.7,1 (writes temperatures-<step>.png)' },
  },
  async run(positional, flags): Promise<number> {
    const opened = openRunFromArgs('sample', positional, flags);
    try {
      const kind = opened.config.data.kind;
      const n = (flags.n as number | undefined) ?? (kind === 'image' ? 64 : 2000);
      if (!(n >= 1)) throw new UsageError(`--n must be >= 1, got ${n}`);
      const seed = flags.seed as number;
      const sampleOptions: Record<string, unknown> = { temperature: flags.temperature as number, ...(flags.steps !== undefined ? { steps: flags.steps as number } : {}) };
      for (const k of ['sampler', 'sigmas', 'guidance'] as const) if (flags[k] !== undefined) sampleOptions[k] = flags[k];
      if (flags.class !== undefined) sampleOptions.labels = new Array(n).fill(flags.class as number);
      if (flags['top-k'] !== undefined) sampleOptions.topK = flags['top-k'];
      if (flags['top-p'] !== undefined) sampleOptions.topP = flags['top-p'];
      const out = (flags.out as string | undefined) ?? join(opened.run.samplesDir, `sample-${opened.step}-seed${seed}.png`);
      torch.manualSeed(deriveSeed(seed, 'sample', opened.step));
      if (flags.trajectory) {
        const flow = flowOf(opened.model);
        if (!flow || kind !== '2d') throw new UsageError(`--trajectory draws 2D flows; ${opened.run.name} is ${opened.config.model} on ${kind} data`);
        const gif = (flags.out as string | undefined) ?? join(opened.run.samplesDir, `trajectory-${opened.step}.gif`);
        if (!gif.endsWith('.gif')) throw new UsageError(`with --trajectory, --out must end in .gif, got '${gif}'`);
        const paths = torch.scope(() => {
          const { frames, labels } = flowTrajectory(flow, { n: Math.min(n, 2000), temperature: flags.temperature as number });
          return writeTrajectory(frames, labels, gif, { stripPath: gif.replace(/\.gif$/, '-strip.png') });
        });
        console.log(`trajectory of ${Math.min(n, 2000)} base samples through ${opened.run.name} (step ${opened.step})`);
        for (const p of paths) console.log(`  ${p}`);
        return 0;
      }
      if (flags.temperatures !== undefined) {
        if (kind !== 'image') throw new UsageError('--temperatures draws image grids; use --temperature for 2D runs');
        const temps = String(flags.temperatures).split(',').map(Number);
        if (temps.length === 0 || temps.some((t) => !(t > 0))) throw new UsageError(`--temperatures takes positive numbers, e.g. 0.5,0.7,1; got '${flags.temperatures}'`);
        const png = (flags.out as string | undefined) ?? join(opened.run.samplesDir, `temperatures-${opened.step}.png`);
        if (!png.endsWith('.png')) throw new UsageError(`with --temperatures, --out must end in .png, got '${png}'`);
        const seedT = deriveSeed(seed, 'sample', opened.step);
        temperatureGrids(opened.model, temps, { n: Math.min(n, 64), range: opened.config.data.range ?? [0, 1], seed: seedT }).savePng(png);
        console.log(`sampled ${Math.min(n, 64)} per temperature (${temps.join(', ')}) from ${opened.run.name} (step ${opened.step})`);
        console.log(`  ${png}`);
        return 0;
      }
      if (out.endsWith('.safetensors')) {
        torch.noGrad(() =>
          torch.scope(() => {
            const x = opened.model.sample(n, sampleOptions);
            saveSafetensors(out, { samples: x.contiguous() }, { run: opened.run.dir, step: String(opened.step), seed: String(seed) });
          }),
        );
        console.log(`wrote ${n} samples [${[n, ...opened.config.data.shape].join(', ')}] to ${out}`);
      } else if (out.endsWith('.png')) {
        const paths = writeSamplePictures({
          run: opened.run,
          step: opened.step,
          model: opened.model,
          data: opened.config.data,
          count: n,
          sampleOptions,
          path: out,
          densityPath: out.replace(/\.png$/, '-density.png'),
        });
        console.log(`sampled ${n} from ${opened.run.name} (step ${opened.step}${opened.ema ? ', EMA weights' : ''})`);
        for (const p of paths) console.log(`  ${p}`);
      } else {
        throw new UsageError(`--out must end in .png or .safetensors, got '${out}'`);
      }
      return 0;
    } finally {
      opened.dispose();
    }
  },
};
