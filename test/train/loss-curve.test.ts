import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/tensor/index.ts';
import '../../src/models/index.ts';
import { getModel, resolveConfig } from '../../src/models/index.ts';
import { RunDir, dataInfo } from '../../src/train/index.ts';
import { lossCurveSeries, writeLossCurve } from '../../src/train/pictures.ts';
import { decodePng } from '../../src/io/png.ts';

// A VQ-VAE's log: losses near 0.02, perplexity near 30, usage in [0, 1].
const recs = Array.from({ length: 20 }, (_, i) => ({ step: (i + 1) * 10, loss: 0.05 / (i + 1), recon: 0.04 / (i + 1), perplexity: 5 + i, usage: 0.1 + i / 40, lr: 1e-3, itPerSec: 10, time: i, gradNorm: 1 }));

test('loss curve: monitors leave the losses chart, each becomes its own series', () => {
  const split = lossCurveSeries(recs, ['perplexity', 'usage']);
  assert.deepEqual(split.losses.map((s) => s.name), ['loss', 'recon']);
  assert.deepEqual(split.monitors.map((s) => s.name), ['perplexity', 'usage']);
  assert.deepEqual(split.monitors[0]!.values, recs.map((r) => r.perplexity));
  assert.deepEqual(split.monitors[0]!.x, recs.map((r) => r.step));
  // Without monitors every term shares the losses' axes (what loss.png drew before).
  assert.deepEqual(lossCurveSeries(recs).losses.map((s) => s.name), ['loss', 'recon', 'perplexity', 'usage']);
  // A name the log lacks is ignored; the loss itself is never a monitor.
  assert.deepEqual(lossCurveSeries(recs, ['temperature', 'loss']).monitors, []);
});

test('loss curve: loss.png grows a row of monitor panels only when the run logs monitors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-curve-'));
  try {
    const run = new RunDir(dir);
    run.create();
    for (const r of recs) run.appendMetrics(r);
    const size = () => {
      const img = decodePng(readFileSync(run.lossCurvePath));
      return [img.width, img.height];
    };
    assert.equal(writeLossCurve(run), run.lossCurvePath);
    assert.deepEqual(size(), [640, 400]);
    writeLossCurve(run, undefined, { monitors: ['perplexity', 'usage'] });
    assert.deepEqual(size(), [640, 400 + 8 + 240]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loss curve: the latent families' monitors are terms their losses log", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['vqvae', 'mnist', { hidden: 8, resHidden: 4, resBlocks: 1, codebookSize: 8, codeDim: 4 }],
    ['gumbel-vae', 'binarized-mnist', { groups: 2, classes: 3, hidden: [8] }],
  ];
  for (const [name, data, overrides] of cases) {
    const family = getModel(name);
    const m = family.create(resolveConfig(family, overrides), dataInfo(data));
    try {
      torch.scope(() => {
        const terms = m.loss({ x: torch.rand([4, 1, 28, 28]) } as never, 0);
        assert.ok(m.monitors && m.monitors.length > 0, `${name} declares monitors`);
        for (const k of m.monitors!) assert.ok(k in terms, `${name}: monitor '${k}' is not a logged term (${Object.keys(terms).join(', ')})`);
      });
    } finally {
      m.dispose?.();
    }
  }
});
