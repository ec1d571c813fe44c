/**
 * A small maximum-likelihood training loop for flow model instances (used by tests, the 2D
 * comparison with PyTorch in bench/reference/flows_2d.py and docs/flows.md). The CLI trainer
 * (src/train) is the general path; this one has no run directory and no checkpoints.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { Adam } from '../../optim/index.ts';
import type { ModelInstance } from '../registry.ts';

export interface FitOptions {
  steps: number;
  batch: number;
  lr: number;
  /** Seed of the minibatch sampler. */
  seed?: number;
  /** Called every logEvery steps with the step and the mean loss since the last call. */
  onLog?: (step: number, loss: number) => void;
  logEvery?: number;
}

/** Trains by Adam on minibatches drawn with replacement from `train`; returns the wall time. */
export function fit(model: ModelInstance, train: Tensor, o: FitOptions): { seconds: number; finalLoss: number } {
  const opt = new Adam(model.parameters(), { lr: o.lr });
  const g = new torch.Generator({ seed: o.seed ?? 0 });
  const n = train.size(0);
  const t0 = performance.now();
  let acc = 0;
  let cnt = 0;
  let last = NaN;
  for (let step = 1; step <= o.steps; step++) {
    const l = torch.scope(() => {
      const idx = torch.randint(0, n, [o.batch], { generator: g });
      const { loss } = model.loss({ x: train.indexSelect(0, idx) }, step);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });
    acc += l;
    cnt++;
    if (o.onLog && step % (o.logEvery ?? 500) === 0) {
      o.onLog(step, acc / cnt);
      last = acc / cnt;
      acc = 0;
      cnt = 0;
    }
  }
  if (cnt) last = acc / cnt;
  opt.dispose?.();
  return { seconds: (performance.now() - t0) / 1000, finalLoss: last };
}
