import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { getModel, resolveConfig } from '../../../src/models/index.ts';
import { Flow, LogitTransform, flowInstance, CNF, type BaseDistribution } from '../../../src/models/flows/index.ts';
import { flowOf, flowTrajectory, writeTrajectory, temperatureGrids } from '../../../src/models/flows/pictures.ts';
import { decodeGif } from '../../../src/io/gif.ts';
import { cli } from '../../cli/run-cli.ts';
import { decodePng } from '../../../src/io/png.ts';

/** Standard logistic over [D]: if logit(u) is logistic, u is uniform on (0, 1). */
class Logistic implements BaseDistribution {
  constructor(readonly eventShape: number[]) {}
  logProb(z: Tensor): Tensor {
    return z.neg().sub(z.neg().softplus().mul(2)).flatten(1).sum(1);
  }
  sample(n: number): Tensor {
    const u = torch.rand([n, ...this.eventShape]).clamp(1e-6, 1 - 1e-6);
    return u.log().sub(u.neg().log1p());
  }
}

describe('image flows: bits/dim', () => {
  test('a flow uniform on [0, 256)^D scores exactly 8 bits/dim; logit alpha adds -log2(1 - 2 alpha)', () => {
    const data = { name: 'tiny', kind: 'image' as const, shape: [1, 3, 5] };
    const x = torch.rand([40, 1, 3, 5]).mul(255).round().div(255).keep();
    for (const [alpha, expected] of [[0, 8], [0.05, 8 - Math.log2(0.9)]] as const) {
      const m = flowInstance(new Flow(new Logistic([1, 3, 5]), [new LogitTransform(alpha)]), data);
      const ev = m.evaluate!(x);
      assert.ok(Math.abs(ev.bpd! - expected) < 1e-4, `alpha ${alpha}: bpd ${ev.bpd} vs ${expected}`);
      torch.scope(() => {
        const terms = m.loss({ x }, 0);
        assert.ok(Math.abs(terms.bpd!.item() - expected) < 1e-4);
        assert.ok(Math.abs(terms.nll!.item() - expected * 15 * Math.LN2) < 1e-3);
      });
    }
    x.dispose();
  });

  test('pixel plumbing: data in [0, 1] (k/255) dequantize to integer levels 0..255 plus U[0, 1) noise', async () => {
    const { uniformDequantize } = await import('../../../src/models/flows/index.ts');
    torch.manualSeed(0);
    torch.scope(() => {
      // 1M values: float32 rounds k + u up to k + 1 for about 5 of them when u is not capped below 1
      const k = torch.arange(256).to('float32').repeat([4096]);
      const v = uniformDequantize(k.div(255));
      const floor = v.floor();
      assert.equal(floor.sub(k).abs().max().item(), 0);
      assert.ok(v.min().item() >= 0 && v.max().item() < 256);
    });
  });
});

describe('flow pictures', () => {
  test('layer trajectory: K + 1 frames of [n, 2], from the base draw to flow.inverse(z); GIF and strip written', () => {
    torch.manualSeed(0);
    const fam = getModel('realnvp');
    const m = fam.create(resolveConfig(fam, { layers: 4 }), { name: 'moons', kind: '2d', shape: [2] });
    const flow = flowOf(m)!;
    assert.ok(flow);
    // Make the couplings non-trivial.
    torch.noGrad(() => m.parameters().forEach((p, i) => torch.scope(() => p.add_(torch.randnLike(p).mul(0.1 + 0.01 * i)))));
    const dir = mkdtempSync(join(tmpdir(), 'genlab-traj-'));
    torch.scope(() => {
      torch.manualSeed(3);
      const { frames, labels } = flowTrajectory(flow, { n: 50 });
      assert.equal(frames.length, 5);
      assert.equal(labels.length, 5);
      for (const f of frames) assert.deepEqual(f.shape, [50, 2]);
      const x = torch.noGrad(() => flow.inverse(frames[0]!).x);
      assert.ok(x.sub(frames[4]!).abs().max().item() < 1e-5);
      const [gif, strip] = writeTrajectory(frames, labels, join(dir, 't.gif'), { stripPath: join(dir, 't.png'), size: 64, stripSize: 48 });
      const g = decodeGif(readFileSync(gif!));
      assert.equal(g.frames.length, 5 + 5); // first frame held twice more, last three times more
      assert.equal(g.width, 64);
      const png = decodePng(readFileSync(strip!));
      assert.equal(png.height, 48);
      assert.equal(png.width, 5 * 48 + 4 * 4);
    });
    rmSync(dir, { recursive: true, force: true });
    m.dispose?.();
  });

  test('CNF trajectory: frames + 1 states along the ODE, the last = the full RK4 inverse', () => {
    torch.manualSeed(0);
    const cnf = new CNF(2, undefined, { method: 'rk4', steps: 8, hidden: [16] });
    const flow = new Flow({ eventShape: [2], logProb: (z: Tensor) => z.square().sum(1).mul(-0.5), sample: (n: number) => torch.randn([n, 2]) }, [cnf]);
    torch.scope(() => {
      const { frames, labels } = flowTrajectory(flow, { n: 20, frames: 4 });
      assert.equal(frames.length, 5);
      assert.deepEqual(labels, ['t=1.00', 't=0.75', 't=0.50', 't=0.25', 't=0.00']);
      const x = torch.noGrad(() => cnf.inverse(frames[0]!).x);
      assert.ok(x.sub(frames[4]!).abs().max().item() < 1e-5, `max diff ${x.sub(frames[4]!).abs().max().item()}`);
    });
    cnf.dispose();
  });

  test('temperature grids: one captioned grid per temperature; T -> 0 gives the same image for every sample', () => {
    torch.manualSeed(0);
    const fam = getModel('glow');
    const data = { name: 'tiny', kind: 'image' as const, shape: [1, 4, 4], range: [0, 1] as [number, number] };
    const m = fam.create(resolveConfig(fam, { imageLayers: 1, imageHidden: 8 }), data);
    const c = temperatureGrids(m, [0.5, 1], { n: 4, nrow: 2, scale: 1, seed: 1 });
    assert.ok(c.width > 2 * 10 && c.height > 10);
    torch.scope(() => {
      const s = m.sample(3, { temperature: 1e-6 });
      assert.ok(s.sub(s.narrow(0, 0, 1)).abs().max().item() < 1e-3);
    });
    m.dispose?.();
  });
});

describe('image flows through the CLI', () => {
  test('genlab train glow --data mnist (tiny), eval prints test bits/dim, sample --temperatures writes a grid', async () => {
    const root = mkdtempSync(join(tmpdir(), 'genlab-imgflow-'));
    try {
      const t = await cli(['train', 'glow', '--data', 'mnist', '--steps', '4', '--batch', '8', '--out', root, '--name', 'g', '-q', '--config', 'imageLayers=1,imageHidden=8']);
      assert.equal(t.code, 0, t.err);
      const cfg = JSON.parse(readFileSync(join(root, 'g', 'config.json'), 'utf8'));
      assert.deepEqual(cfg.data.shape, [1, 28, 28]);
      assert.equal(cfg.modelConfig.imageLayers, 1);
      const metrics = readFileSync(join(root, 'g', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const last = metrics[metrics.length - 1];
      assert.ok(Math.abs(last.bpd - last.nll / (784 * Math.LN2)) < 1e-3 && last.bpd > 1 && last.bpd < 12, `bpd ${last.bpd}`);
      assert.ok(existsSync(join(root, 'g', 'samples', 'step-0000004.png')));
      const e = await cli(['eval', join(root, 'g'), '--json', '--n', '40']);
      assert.equal(e.code, 0, e.err);
      const r = JSON.parse(e.out);
      assert.equal(r.n, 40);
      assert.ok(r.metrics.bitsPerDim > 1 && r.metrics.bitsPerDim < 12, `bpd ${r.metrics.bitsPerDim}`);
      assert.ok(Math.abs(r.metrics.bitsPerDim - r.metrics.testNll / (784 * Math.LN2)) < 1e-9);
      // One NLL (issue #8: eval printed testNll and the family's nll from two dequantization draws),
      // and the same one on a second eval (the draw is seeded).
      assert.deepEqual(Object.keys(r.metrics).filter((k) => /nll|bpd|bitsPerDim/i.test(k)).sort(), ['bitsPerDim', 'testNll']);
      const again = JSON.parse((await cli(['eval', join(root, 'g'), '--json', '--n', '40'])).out);
      assert.equal(again.metrics.testNll, r.metrics.testNll);
      const s = await cli(['sample', join(root, 'g'), '--temperatures', '0.5,0.7,1', '--n', '4']);
      assert.equal(s.code, 0, s.err);
      const png = decodePng(readFileSync(join(root, 'g', 'samples', 'temperatures-4.png')));
      assert.ok(png.width > 3 * 2 * 28);
      const bad = await cli(['sample', join(root, 'g'), '--trajectory']);
      assert.equal(bad.code, 2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('genlab sample <2D flow run> --trajectory writes trajectory-<step>.gif and a strip', async () => {
    const root = mkdtempSync(join(tmpdir(), 'genlab-traj-cli-'));
    try {
      const t = await cli(['train', 'realnvp', '--data', 'moons', '--steps', '5', '--out', root, '--name', 'r', '-q', '--no-pictures']);
      assert.equal(t.code, 0, t.err);
      const s = await cli(['sample', join(root, 'r'), '--trajectory', '--n', '100']);
      assert.equal(s.code, 0, s.err);
      const g = decodeGif(readFileSync(join(root, 'r', 'samples', 'trajectory-5.gif')));
      assert.equal(g.frames.length, 6 + 1 + 5);
      assert.ok(existsSync(join(root, 'r', 'samples', 'trajectory-5-strip.png')));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
