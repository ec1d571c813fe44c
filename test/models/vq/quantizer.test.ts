/**
 * VectorQuantizer against hand-computed cases: loss terms and their gradients (β on the encoder
 * term), the straight-through gradient, one EMA update with Laplace smoothing, perplexity, dead-code
 * restarts, k-means init, cosine lookup, indices <-> codes, and the errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../../src/tensor/index.ts';
import { VectorQuantizer } from '../../../src/models/vq/quantizer.ts';
import { assertClose } from '../../distributions/helpers.ts';

const t = (rows: number[][]) => torch.tensor(rows);
function setCodebook(vq: VectorQuantizer, rows: number[][]): void {
  torch.noGrad(() => torch.scope(() => {
    vq.codebook.copy_(t(rows));
    vq.embedSum.copy_(t(rows));
    vq.clusterSize.fill_(1);
  }));
}

describe('VectorQuantizer', () => {
  test('loss terms and gradients on a hand case: β weighs the encoder term only', () => torch.scope(() => {
    const vq = new VectorQuantizer({ codebookSize: 2, dim: 2, channelDim: -1, ema: false, commitmentWeight: 0.25 });
    setCodebook(vq, [[0, 0], [1, 1]]);
    const z = t([[0.2, 0.1], [0.9, 1.2]]).requiresGrad_();
    const r = vq.forward(z);
    assert.deepEqual(r.indices.toFlatArray(), [0, 1]);
    // (z - e)² = [0.04, 0.01, 0.01, 0.04]: mean 0.025
    assertClose(r.commit, 0.025, 1e-7, 0, 'commit');
    assertClose(r.codebook, 0.025, 1e-7, 0, 'codebook');
    assertClose(r.loss, 0.025 + 0.25 * 0.025, 1e-7, 0, 'loss');
    const [gz, ge] = torch.autograd.grad([r.loss], [z, vq.codebook]);
    // d/dz β mean((z-e)²) = β 2 (z - e) / 4 ; d/de mean((z-e)²) = -2 (z - e) / 4 (no β)
    const diff = [0.2, 0.1, -0.1, 0.2];
    assertClose(gz!, diff.map((d) => (0.25 * 2 * d) / 4), 1e-7, 0, 'dz');
    assertClose(ge!, diff.map((d) => (-2 * d) / 4), 1e-7, 0, 'de');
    vq.dispose();
  }));

  test('straight-through: forward is the code, backward is the identity to z', () => torch.scope(() => {
    const vq = new VectorQuantizer({ codebookSize: 2, dim: 2, channelDim: -1 });
    setCodebook(vq, [[0, 0], [1, 1]]);
    vq.eval();
    const z = t([[0.2, 0.1], [0.9, 1.2]]).requiresGrad_();
    const r = vq.forward(z);
    assertClose(r.quantized, [0, 0, 1, 1], 1e-7, 0, 'forward');
    const w = t([[1, 2], [3, 4]]);
    const [g] = torch.autograd.grad([r.quantized.mul(w).sum()], [z]);
    assertClose(g!, [1, 2, 3, 4], 0, 0, 'backward');
    vq.dispose();
  }));

  test('EMA update with Laplace smoothing on a hand case', () => torch.scope(() => {
    const eps = 1e-5;
    const vq = new VectorQuantizer({ codebookSize: 3, dim: 2, channelDim: -1, ema: true, decay: 0.5, eps });
    setCodebook(vq, [[0, 0], [1, 1], [5, 5]]);
    const z = t([[0.2, 0.1], [0.9, 1.2], [1.1, 0.8]]);
    const r = vq.forward(z);
    assert.deepEqual(r.indices.toFlatArray(), [0, 1, 1]);
    assert.deepEqual(r.codeCounts.toFlatArray(), [1, 2, 0]);
    // quantized with the codebook before the update
    assertClose(r.quantized, [0, 0, 1, 1, 1, 1], 1e-7, 0, 'quantized');
    // N = 0.5·1 + 0.5·n ; S = 0.5·E + 0.5·s
    const N = [1, 1.5, 0.5];
    const S = [[0.1, 0.05], [0.5 + 1.0, 0.5 + 1.0], [2.5, 2.5]];
    assertClose(vq.clusterSize, N, 1e-6, 0, 'cluster_size');
    assertClose(vq.embedSum, S.flat(), 1e-6, 0, 'embed_sum');
    const n = N.reduce((a, b) => a + b, 0);
    const smooth = N.map((k) => ((k + eps) / (n + 3 * eps)) * n);
    assertClose(vq.codebook, S.flatMap((row, k) => row.map((v) => v / smooth[k]!)), 1e-6, 0, 'codebook');
    // perplexity of frequencies [1/3, 2/3, 0]; usage 2/3
    const H = -(1 / 3) * Math.log(1 / 3) - (2 / 3) * Math.log(2 / 3);
    assertClose(r.perplexity, Math.exp(H), 1e-6, 0, 'perplexity');
    assertClose(r.usage, 2 / 3, 1e-7, 0, 'usage');
    assertClose(r.codebook, 0, 0, 0, 'no codebook loss with EMA');
    // eval mode changes nothing
    vq.eval();
    const before = vq.codebook.toFlatArray();
    vq.forward(z);
    assert.deepEqual(vq.codebook.toFlatArray(), before);
    vq.dispose();
  }));

  const clusters = (n: number, seed: number): Tensor => {
    const g = new torch.Generator({ seed });
    const centers = t([[3, 3], [-3, 3], [3, -3], [-3, -3]]);
    const which = torch.randint(0, 4, [n], { generator: g });
    return centers.indexSelect(0, which).add(torch.randn([n, 2], { generator: g }).mul(0.1));
  };
  const trainUsage = (threshold: number): number => torch.scope(() => {
    torch.manualSeed(7);
    const vq = new VectorQuantizer({ codebookSize: 4, dim: 2, channelDim: -1, decay: 0.8, deadCodeThreshold: threshold });
    setCodebook(vq, [[3, 3], [10, 10], [10, 11], [11, 10]]); // three codes far from every cluster
    for (let s = 0; s < 30; s++) torch.scope(() => { vq.forward(clusters(256, 100 + s)); });
    vq.eval();
    const u = vq.forward(clusters(1024, 999)).usage.item();
    vq.dispose();
    return u;
  });
  test('dead-code restart revives unused codes (and without it they stay dead)', () => {
    assert.equal(trainUsage(0), 0.25, 'without restarts only one code is used');
    assert.equal(trainUsage(0.5), 1, 'with restarts all four codes are used');
  });

  test('k-means init puts a code on each cluster', () => torch.scope(() => {
    torch.manualSeed(3);
    const vq = new VectorQuantizer({ codebookSize: 4, dim: 2, channelDim: -1, kmeansInit: true });
    assert.equal(vq.initialized.item(), 0);
    const r = vq.forward(clusters(512, 1));
    assert.equal(vq.initialized.item(), 1);
    assert.ok(r.perplexity.item() > 3.8, `perplexity ${r.perplexity.item()}`);
    const book = vq.codebook;
    for (const c of [[3, 3], [-3, 3], [3, -3], [-3, -3]]) {
      const d = book.sub(t([c])).norm(2, [1]).min().item();
      assert.ok(d < 0.1, `no code near [${c}] (nearest at ${d})`);
    }
    vq.dispose();
  }));

  test('cosine lookup: unit outputs, the code of largest cosine similarity', () => torch.scope(() => {
    const vq = new VectorQuantizer({ codebookSize: 2, dim: 2, channelDim: -1, cosine: true });
    setCodebook(vq, [[1, 0], [0, 1]]);
    vq.eval();
    // [0.1, 0.09]: Euclidean-nearest to... both codes are ~0.91 away, but by angle it is [1, 0];
    // [0.2, 1.5] by angle is [0, 1].
    const r = vq.forward(t([[5, 1], [0.1, 0.09], [-0.1, 2]]));
    assert.deepEqual(r.indices.toFlatArray(), [0, 0, 1]);
    assertClose(r.quantized.norm(2, [1]), [1, 1, 1], 1e-6, 0, 'unit');
    vq.dispose();
  }));

  test('indices <-> codes on images [B, C, H, W]', () => torch.scope(() => {
    torch.manualSeed(1);
    const vq = new VectorQuantizer({ codebookSize: 8, dim: 3 });
    vq.eval();
    const z = torch.randn([2, 3, 4, 5]).mul(0.1);
    const r = vq.forward(z);
    assert.deepEqual(r.indices.shape, [2, 4, 5]);
    assert.deepEqual(vq.codesToIndices(z).toFlatArray(), r.indices.toFlatArray());
    const codes = vq.indicesToCodes(r.indices);
    assert.deepEqual(codes.shape, [2, 3, 4, 5]);
    assertClose(codes, r.quantized.toFlatArray(), 1e-6, 0, 'codes');
    assert.throws(() => vq.indicesToCodes(torch.tensor([8], { dtype: 'int64' })), /index 8 is outside 0\.\.7/);
    vq.dispose();
  }));

  test('bad input: a codebook dim that does not match the encoder, bad options', () => torch.scope(() => {
    const vq = new VectorQuantizer({ codebookSize: 8, dim: 16 });
    assert.throws(() => vq.forward(torch.zeros([2, 32, 4, 4])), /input has 32 features on axis 1.*codebook dim is 16/);
    vq.dispose();
    assert.throws(() => new VectorQuantizer({ codebookSize: 0, dim: 4 }), /codebookSize must be an integer >= 1, got 0/);
    assert.throws(() => new VectorQuantizer({ codebookSize: 4, dim: 4, decay: 1 }), /decay must be in \[0, 1\), got 1/);
  }));

  test('no tensors leak from a training step', () => {
    const vq = new VectorQuantizer({ codebookSize: 8, dim: 2, channelDim: -1, deadCodeThreshold: 0.5, kmeansInit: true });
    const before = torch.memory().tensors;
    for (let i = 0; i < 3; i++) torch.scope(() => { vq.forward(clusters(64, i)); });
    assert.equal(torch.memory().tensors, before);
    vq.dispose();
  });
});
