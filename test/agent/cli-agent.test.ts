import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { pngSize, type TrajectoryRecord } from '../../src/agent/index.ts';
import { pySmartResize } from './smart-resize-table.ts';
import { CHROMIUM, NO_CHROMIUM, capture, deadPort, lastImage, startModelServer } from './helpers.ts';
import { startSite } from './site.ts';

test('cli: genlab agent usage errors', async () => {
  const r1 = await capture(() => main(['agent', '--url', 'http://127.0.0.1:1/']));
  assert.equal(r1.code, 2);
  assert.match(r1.err, /give the instruction/);
  const r2 = await capture(() => main(['agent', 'do it', '--url', 'http://127.0.0.1:1/', '--model', 'm']));
  assert.equal(r2.code, 2);
  assert.match(r2.err, /--model-endpoint is required/);
  const r3 = await capture(() => main(['agent', 'do it', '--version', '2.0']));
  assert.equal(r3.code, 2);
  assert.match(r3.err, /--version must be one of 1.0, 1.5/);
  const help = await capture(() => main(['agent', '--help']));
  assert.equal(help.code, 0);
  assert.match(help.out, /--model-endpoint/);
});

test('cli: genlab agent runs a page to the end and prints each step and the trajectory', { skip: NO_CHROMIUM }, async () => {
  const site = await startSite();
  const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-cli-'));
  // #counter is at CSS (20..130, 80..124) on an 800x600 viewport; at DPR 2 the model sees 1600x1200.
  const srv = await startModelServer((req, i) => {
    if (i > 0) return { text: "Thought: The counter went up.\nAction: finished(content='counted once')" };
    const img = pngSize(lastImage(req));
    const s = pySmartResize(img.height, img.width); // Python's size (a table), not genlab's smartResize
    const x = Math.round((75 / 800) * s.width);
    const y = Math.round((102 / 600) * s.height);
    return { text: `Thought: Click the Count button.\nAction: click(start_box='<|box_start|>(${x},${y})<|box_end|>')` };
  });
  try {
    const r = await capture(() =>
      main(['agent', 'Press Count once', '--url', site.url, '--model-endpoint', srv.url, '--model', 'ui-tars-1.5-7b', '--out', dir, '--dpr', '2', '--width', '800', '--height', '600', '--max-steps', '5', '--chromium', CHROMIUM]),
    );
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /step  1  click \(75\.\d, 10[12]\.\d\)  — Click the Count button\./);
    assert.match(r.out, /step  2  finished: counted once/);
    assert.match(r.out, /status: finished after 2 steps/);
    assert.match(r.out, /answer: counted once/);
    assert.ok(r.out.includes(`trajectory: ${join(dir, 'trajectory.json')}`));
    const rec = JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as TrajectoryRecord;
    assert.equal(rec.status, 'finished');
    assert.deepEqual(rec.steps[0]!.image, { width: 1600, height: 1200, scale: 2 });
    assert.equal(srv.requests[0]!.body.model, 'ui-tars-1.5-7b');
  } finally {
    await srv.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: an unreachable endpoint exits 1 with the reason and the trajectory', { skip: NO_CHROMIUM }, async () => {
  const site = await startSite();
  const dir = mkdtempSync(join(tmpdir(), 'genlab-agent-cli-'));
  const port = await deadPort();
  try {
    const r = await capture(() =>
      main(['agent', 'anything', '--url', site.url, '--model-endpoint', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--out', dir, '--retries', '0', '--width', '640', '--height', '480', '--chromium', CHROMIUM]),
    );
    assert.equal(r.code, 1);
    assert.match(r.out, /status: error after 1 step — model\/unreachable: cannot reach model endpoint/);
    assert.match(r.out, /trajectory: /);
    assert.equal((JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as TrajectoryRecord).status, 'error');
  } finally {
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
