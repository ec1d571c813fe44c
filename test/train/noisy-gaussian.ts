/**
 * Test model families over a FullCovGaussian: `registerGaussianFamily` with any loss, and the noisy one
 * whose loss uses the global RNG (noise on the batch), to check per-step reseeding on resume. Shared by
 * trainer.test.ts and the child training process it kills.
 */
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { registerModel } from '../../src/models/registry.ts';
import { FullCovGaussian } from '../../src/models/gaussian/index.ts';

export const NOISY_GAUSSIAN = 'noisy-gaussian';

/** Registers a family `name` over a FullCovGaussian whose loss is `loss(g, x, step)`. */
export function registerGaussianFamily(name: string, description: string, loss: (g: FullCovGaussian, x: Tensor, step: number) => Tensor): void {
  registerModel({
    name,
    description,
    dataKinds: ['2d'],
    defaultConfig: {},
    create(_c, info) {
      const g = new FullCovGaussian(info.shape[0]!, 1);
      return {
        modules: { g },
        loss: (b, step) => ({ loss: loss(g, b.x, step) }),
        sample: (n) => g.sample(n),
        parameters: () => g.parameters(),
        dispose: () => g.dispose(),
      };
    },
  });
}

/**
 * Registers the noisy family. With `blockAtStep`, the loss of that step prints `blocked at <step>` on stdout
 * and then blocks the process (for a minute), so that a parent can kill it mid-step at a known point.
 */
export function registerNoisyGaussian(options: { blockAtStep?: number } = {}): void {
  registerGaussianFamily(NOISY_GAUSSIAN, 'test family', (g, x, step) => {
    if (step === options.blockAtStep) {
      process.stdout.write(`blocked at ${step}\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    }
    return g.logProb(x.add(torch.randn(x.shape).mul(0.05))).mean().neg();
  });
}
