/**
 * The probability-flow ODE dx/dσ = (x - D(x, σ))/σ solved with src/ode's adaptive Dormand–Prince,
 * in u = ln σ (dx/du = x - D), from sigmas[0] to the last positive sigma, then the step to σ = 0
 * (x = D). Only the first and the last two sigmas matter; `onStats` receives the solver's counts
 * (nfe includes the final denoiser call).
 */
import { torch, type Tensor } from '../../../tensor/index.ts';
import { solveDopri5, type SolveStats, type State } from '../../../ode/index.ts';
import { checkSigmas, type Denoiser, type SamplerOptions } from './common.ts';

export interface PfOdeOptions extends SamplerOptions {
  rtol?: number;
  atol?: number;
  onStats?: (stats: SolveStats) => void;
}

export function samplePfOde(denoise: Denoiser, x: Tensor, sigmasIn: number[] | Tensor, o: PfOdeOptions = {}): Tensor {
  const sigmas = checkSigmas('samplePfOde', sigmasIn);
  const last = sigmas[sigmas.length - 2]!;
  return torch.noGrad(() =>
    torch.scope(() => {
      let i = 0;
      const f = (u: number, [y]: State): State => {
        const s = Math.exp(u);
        const d = denoise(y!, s);
        return [y!.sub(d)];
      };
      const r = solveDopri5(f, [x], Math.log(sigmas[0]!), Math.log(last), {
        rtol: o.rtol ?? 1e-4,
        atol: o.atol ?? 1e-4,
        onStep: (u, y) => o.callback?.(y[0]!, i++, Math.exp(u), 0, y[0]!),
      });
      const out = denoise(r.y[0]!, last);
      o.onStats?.({ ...r.stats, nfe: r.stats.nfe + 1 });
      return out;
    }),
  );
}
