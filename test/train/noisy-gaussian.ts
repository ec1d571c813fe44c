/**
 * A test model family whose loss uses the global RNG (noise on the batch), to check per-step reseeding
 * on resume. Shared by trainer.test.ts and the child training process it kills.
 */
import { torch } from '../../src/tensor/index.ts';
import { registerModel } from '../../src/models/registry.ts';
import { FullCovGaussian } from '../../src/models/gaussian/index.ts';

export const NOISY_GAUSSIAN = 'noisy-gaussian';

/**
 * Registers the family. With `blockAtStep`, the loss of that step prints `blocked at <step>` on stdout and
 * then blocks the process (for a minute), so that a parent can kill it mid-step at a known point.
 */
export function registerNoisyGaussian(options: { blockAtStep?: number } = {}): void {
  registerModel({
    name: NOISY_GAUSSIAN,
    description: 'test family',
    dataKinds: ['2d'],
    defaultConfig: {},
    create(_c, info) {
      const g = new FullCovGaussian(info.shape[0]!, 1);
      return {
        modules: { g },
        loss: (b, step) => {
          if (step === options.blockAtStep) {
            process.stdout.write(`blocked at ${step}\n`);
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
          }
          const nll = g.logProb(b.x.add(torch.randn(b.x.shape).mul(0.05))).mean().neg();
          return { loss: nll };
        },
        sample: (n) => g.sample(n),
        parameters: () => g.parameters(),
        dispose: () => g.dispose(),
      };
    },
  });
}
