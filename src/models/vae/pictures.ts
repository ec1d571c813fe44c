/**
 * Pictures of latent-variable models: reconstructions beside their inputs, latent traversals, and
 * the 2D latent map (decoded grid + encoded test points by class). Each returns a Canvas (save with
 * savePng) and makes its tensors in a scope of its own.
 */
import { torch, type Tensor } from '../../tensor/index.ts';
import { imageGrid } from '../../io/image.ts';
import { composeSideBySide, renderScatter, type ScatterSet } from '../../io/plot.ts';
import { PALETTE, type Canvas } from '../../io/canvas.ts';
import type { GaussianVAE } from './vae.ts';

/** Inputs (left) and reconstructions (right), 8 per row. */
export function reconstructionPicture(inputs: Tensor, recon: (x: Tensor) => Tensor, options: { range?: [number, number]; scale?: number } = {}): Canvas {
  return torch.noGrad(() =>
    torch.scope(() => {
      const r = recon(inputs);
      const o = { nrow: 8, range: options.range ?? [0, 1], scale: options.scale ?? 2 } as const;
      return composeSideBySide([imageGrid(inputs.detach().cpu(), o), imageGrid(r.detach().to('float32').cpu(), o)], { labels: ['inputs', 'reconstructions'], gap: 12 });
    }),
  );
}

/**
 * Latent traversals: for each of `dims` latent coordinates (the ones of largest mean KL on `x`),
 * a row of decoded means as that coordinate goes over `values` with the others at the posterior
 * mean of the first example.
 */
export function traversalPicture(vae: GaussianVAE, x: Tensor, options: { dims?: number; values?: number[]; scale?: number } = {}): { canvas: Canvas; dims: number[] } {
  return torch.noGrad(() =>
    torch.scope(() => {
      const values = options.values ?? [-3, -2.25, -1.5, -0.75, 0, 0.75, 1.5, 2.25, 3];
      const q = vae.posterior(x);
      const v = q.scale.square();
      const klPerDim = v.add(q.loc.square()).sub(1).sub(v.log()).mul(0.5).mean(0).toFlatArray();
      const order = klPerDim.map((k, i) => [k, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
      const dims = order.slice(0, Math.min(options.dims ?? 8, vae.latent));
      const base = q.loc.narrow(0, 0, 1); // [1, L]
      const rows: Tensor[] = [];
      for (const d of dims) {
        const z = base.expand([values.length, vae.latent]).clone();
        z.select(1, d).copy_(torch.tensor(values));
        rows.push(vae.likelihood.mean(vae.decode(z)));
      }
      const canvas = imageGrid(torch.cat(rows, 0).cpu(), { nrow: values.length, range: [0, 1], scale: options.scale ?? 2 });
      return { canvas, dims };
    }),
  );
}

/**
 * The 2D latent map of a 2-latent VAE: decoded means on an n x n grid of prior quantiles (left), and
 * the posterior means of labelled examples, colored by class (right).
 */
export function latentMapPicture(vae: GaussianVAE, x: Tensor, labels: Tensor | undefined, options: { n?: number; scale?: number } = {}): Canvas {
  if (vae.latent !== 2) throw new RangeError(`latentMapPicture: needs a 2-dimensional latent, the model has ${vae.latent}`);
  return torch.noGrad(() =>
    torch.scope(() => {
      const n = options.n ?? 15;
      const qs = torch.linspace(0.5 / n, 1 - 0.5 / n, n);
      const zs = torch.special.ndtri(qs); // prior quantiles
      const gy = zs.flip([0]).unsqueeze(1).expand([n, n]); // rows top -> bottom: z2 high -> low
      const gx = zs.unsqueeze(0).expand([n, n]);
      const z = torch.stack([gx.reshape([-1]), gy.reshape([-1])], 1);
      const grid = imageGrid(vae.likelihood.mean(vae.decode(z)).cpu(), { nrow: n, padding: 0, range: [0, 1], scale: options.scale ?? 1 });
      const mu = vae.posterior(x).loc;
      const sets: ScatterSet[] = [];
      if (labels) {
        const lab = labels.toFlatArray();
        const pts = mu.toArray() as number[][];
        const classes = [...new Set(lab)].sort((a, b) => a - b);
        for (const c of classes) sets.push({ points: pts.filter((_, i) => lab[i] === c), color: PALETTE[c % PALETTE.length]!, label: String(c), radius: 2 });
      } else sets.push({ points: mu, radius: 2 });
      const scatter = renderScatter(sets, { size: grid.height, title: 'posterior means by class', bounds: [-4, 4, -4, 4] });
      return composeSideBySide([grid, scatter], { labels: ['decoded prior quantiles', 'encoded test images'], gap: 12 });
    }),
  );
}
