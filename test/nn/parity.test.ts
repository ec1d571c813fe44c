/**
 * genlab vs PyTorch (python3-torch, via bench/reference/nn_parity.py): the same MLP (2-64-64-2) and
 * conv net (1x28x28 -> conv -> relu -> pool -> linear), the same initial weights and batches, 100
 * Adam steps each; the losses must agree to 1e-4 relative at every step. Also single layers
 * (MultiheadAttention, convs, norms) with genlab's weights against torch.nn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import * as nn from '../../src/nn/index.ts';
import { Adam } from '../../src/optim/index.ts';
import { assertClose, readRaw, runParity, skipWithoutTorch, writeRaw } from './helpers.ts';

const skip = skipWithoutTorch();
const STEPS = 100;

function convNet(): nn.Sequential {
  return new nn.Sequential(new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8 * 14 * 14, 10));
}

/** Trains in genlab; returns per-step losses. */
function train(model: nn.Module & { forward(x: Tensor): Tensor }, xs: Tensor, ys: Tensor, lr: number, loss: 'mse' | 'ce'): number[] {
  const opt = new Adam(model.parameters(), { lr });
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    losses.push(
      torch.scope(() => {
        opt.zeroGrad();
        const out = model.forward(xs.select(0, s));
        const l = loss === 'mse' ? nn.F.mseLoss(out, ys.select(0, s)) : nn.F.crossEntropy(out, ys.select(0, s));
        l.backward();
        opt.step();
        return l.item();
      }),
    );
  }
  opt.dispose();
  return losses;
}

function maxRelDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-12));
  return m;
}

test('100 Adam steps of an MLP and a conv net agree with PyTorch to 1e-4 (relative) at every step', { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-parity-'));
  try {
    torch.scope(() => {
      const g = new torch.Generator({ seed: 1234 });
      torch.manualSeed(7);
      const mlp = new nn.MLP({ sizes: [2, 64, 64, 2], activation: 'silu' });
      const conv = convNet();
      // Batches, made in genlab: MLP regression of a smooth 2-d map; conv classification of noisy images,
      // each the fixed random pattern of its class plus unit noise (learnable in 100 steps, so the losses move
      // far below chance, ln 10; labels from a random projection of pure noise stayed at chance).
      const mx = torch.randn([STEPS, 64, 2], { generator: g });
      const my = torch.stack([mx.select(2, 0).sin().add(mx.select(2, 1).square().mul(0.5)), mx.select(2, 0).mul(mx.select(2, 1))], 2);
      const cy = torch.randint(0, 10, [STEPS, 16], { generator: g });
      const patterns = torch.randn([10, 1, 28, 28], { generator: g });
      const cx = patterns.indexSelect(0, cy.flatten()).reshape([STEPS, 16, 1, 28, 28]).add(torch.randn([STEPS, 16, 1, 28, 28], { generator: g }));
      const weights: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(mlp.stateDict())) weights[`mlp.${k}`] = v;
      for (const [k, v] of Object.entries(conv.stateDict())) weights[`conv.${k}`] = v;
      writeRaw(join(dir, 'weights'), weights);
      writeRaw(join(dir, 'data'), { 'mlp.x': mx, 'mlp.y': my, 'conv.x': cx, 'conv.y': cy });
      writeFileSync(join(dir, 'task.json'), JSON.stringify({
        task: 'train',
        models: [
          { name: 'mlp', arch: 'mlp', sizes: [2, 64, 64, 2], lr: 1e-2, steps: STEPS, loss: 'mse' },
          { name: 'conv', arch: 'conv', channels: 8, classes: 10, lr: 3e-3, steps: STEPS, loss: 'ce' },
        ],
      }));
      const ref = runParity(dir);
      const lm = train(mlp, mx, my, 1e-2, 'mse');
      const lc = train(conv, cx, cy, 3e-3, 'ce');
      const dm = maxRelDiff(lm, ref.mlp as number[]);
      const dc = maxRelDiff(lc, ref.conv as number[]);
      console.log(`# parity (torch ${ref.torch}): max relative loss difference over ${STEPS} Adam steps: MLP ${dm.toExponential(2)}, conv ${dc.toExponential(2)}; ` +
        `MLP loss ${lm[0]!.toFixed(4)} -> ${lm[STEPS - 1]!.toFixed(4)}, conv ${lc[0]!.toFixed(4)} -> ${lc[STEPS - 1]!.toFixed(4)}`);
      assert.ok(lm[STEPS - 1]! < lm[0]! * 0.5, 'the MLP learns');
      // Chance is ln 10 = 2.303 nats: the last 10 steps' mean must be under a tenth of it.
      const tail = (l: number[]) => l.slice(-10).reduce((a, b) => a + b, 0) / 10;
      assert.ok(tail(lc) < 0.1 * Math.log(10), `the conv net learns: last 10 steps' mean loss ${tail(lc)}, chance ${Math.log(10)}`);
      assert.ok(dm <= 1e-4, `MLP losses differ by ${dm} (relative)`);
      assert.ok(dc <= 1e-4, `conv losses differ by ${dc} (relative)`);
      // Final weights too.
      const fin = readRaw(join(dir, 'out'));
      for (const [k, v] of Object.entries(mlp.stateDict())) assertClose(v, fin[`mlp.${k}`]!, { atol: 1e-4, rtol: 1e-3 }, `mlp.${k}`);
      for (const [k, v] of Object.entries(conv.stateDict())) assertClose(v, fin[`conv.${k}`]!, { atol: 1e-4, rtol: 1e-3 }, `conv.${k}`);
      mlp.dispose();
      conv.dispose();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('layers agree with torch.nn given the same weights (MultiheadAttention, Conv2d, ConvTranspose2d, norms)', { skip, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-layers-'));
  try {
    torch.scope(() => {
      torch.manualSeed(3);
      const mods: { name: string; kind: string; m: nn.Module & { forward(x: Tensor, o?: never): Tensor }; x: Tensor; config: object; kpm?: Tensor }[] = [];
      const mha = new nn.MultiheadSelfAttention(16, 4);
      // Nonzero biases so every parameter matters.
      torch.noGrad(() => mha.parameters().forEach((p) => p.add_(torch.randnLike(p).mul(0.1))));
      const kpm = torch.tensor([[false, false, false, false, true], [false, false, true, true, true]]);
      mods.push({ name: 'mha', kind: 'mha', m: mha, x: torch.randn([2, 5, 16]), config: { embedDim: 16, numHeads: 4 }, kpm });
      mods.push({ name: 'conv', kind: 'conv2d', m: new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }), x: torch.randn([2, 4, 9, 9]), config: { in: 4, out: 6, k: 3, stride: 2, padding: 1, groups: 2 } });
      mods.push({ name: 'convT', kind: 'convT2d', m: new nn.ConvTranspose2d(4, 3, 4, { stride: 2, padding: 1, outputPadding: 1 }), x: torch.randn([2, 4, 5, 5]), config: { in: 4, out: 3, k: 4, stride: 2, padding: 1, outputPadding: 1 } });
      const gn = new nn.GroupNorm(3, 6);
      const ln = new nn.LayerNorm([5]);
      const bn = new nn.BatchNorm2d(3, { momentum: 0.3 });
      for (const m of [gn, ln, bn]) torch.noGrad(() => m.parameters().forEach((p) => p.add_(torch.randnLike(p).mul(0.5))));
      mods.push({ name: 'gn', kind: 'groupnorm', m: gn, x: torch.randn([2, 6, 4, 4]).mul(3).add(1), config: { groups: 3, channels: 6 } });
      mods.push({ name: 'ln', kind: 'layernorm', m: ln, x: torch.randn([3, 4, 5]).mul(2), config: { shape: [5] } });
      mods.push({ name: 'bn', kind: 'batchnorm', m: bn, x: torch.randn([4, 3, 5, 5]).mul(2).add(0.5), config: { channels: 3, momentum: 0.3 } });
      const inputs: Record<string, Tensor> = {};
      for (const { name, m, x, kpm } of mods) {
        for (const [k, v] of Object.entries(m.stateDict())) inputs[`${name}.w.${k}`] = v;
        inputs[`${name}.x`] = x;
        if (kpm) inputs[`${name}.kpm`] = kpm.long();
      }
      writeRaw(join(dir, 'layers_in'), inputs);
      writeFileSync(join(dir, 'task.json'), JSON.stringify({ task: 'layers', layers: mods.map(({ name, kind, config }) => ({ name, kind, config })) }));
      runParity(dir);
      const ref = readRaw(join(dir, 'out'));
      for (const { name, kind, m, x, kpm } of mods) {
        let y: Tensor;
        if (kind === 'mha') y = mha.forward(x, { keyPaddingMask: kpm });
        else if (kind === 'batchnorm') {
          bn.train();
          bn.forward(x);
          y = bn.forward(x.mul(0.5).add(1));
          bn.eval();
          assertClose(bn.forward(x), ref['bn.eval']!, { atol: 1e-5, rtol: 1e-4 }, 'bn eval');
          assertClose(bn.runningMean!, ref['bn.running_mean']!, { atol: 1e-6, rtol: 1e-5 }, 'bn running_mean');
          assertClose(bn.runningVar!, ref['bn.running_var']!, { atol: 1e-6, rtol: 1e-5 }, 'bn running_var');
        } else y = m.forward(x);
        assertClose(y, ref[`${name}.y`]!, { atol: 1e-5, rtol: 1e-4 }, name);
        m.dispose();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
