/**
 * Damaged files: safetensors, checkpoints, IDX data, run folders and config.json. Every case raises
 * an error naming the file and what is wrong in it, or (a damaged newest checkpoint) falls back to
 * the newest intact one with a warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, truncateSync, mkdirSync, statSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.ts';
import { loadSafetensors, saveSafetensors, readSafetensorsHeader } from '../../src/io/safetensors.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { parseIdx, readIdx } from '../../src/data/idx.ts';
import { RunDir, checkRunName, checkpointProblem } from '../../src/train/run.ts';
import { openRun, trainRun, planResume } from '../../src/train/session.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { runTable, type Case } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'genlab-robust-files-'));
const file = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
/** A safetensors file with this header JSON and data bytes. */
const st = (name: string, header: unknown, data = new Uint8Array(0), lenOverride?: bigint): string => {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(h.length));
  return file(name, Buffer.concat([len, h, Buffer.from(data)]));
};
const esc = (p: string) => new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

const good = join(dir, 'good.safetensors');
saveSafetensors(good, { w: torch.arange(6, { dtype: 'float32' }).reshape([2, 3]) }, { note: 'x' });
const goodBytes = readFileSync(good);
const truncated = file('truncated.safetensors', goodBytes.subarray(0, goodBytes.length - 5));
const idx = (bytes: number[]) => new Uint8Array(bytes);

const cases: Case[] = [
  // ---- safetensors ----
  { name: 'missing file', run: () => loadSafetensors(join(dir, 'nope.safetensors')), error: [/nope\.safetensors/, /no such file|ENOENT|not found/i] },
  { name: 'a folder', run: () => loadSafetensors(dir), error: [esc(dir), /directory|EISDIR|not a file/i] },
  { name: 'empty file', run: () => loadSafetensors(file('empty.safetensors', '')), error: [/empty\.safetensors/, /0 bytes/] },
  { name: '4 bytes', run: () => loadSafetensors(file('four.safetensors', 'abcd')), error: [/four\.safetensors/, /4 bytes/] },
  { name: 'header length beyond the file', run: () => loadSafetensors(st('longlen.safetensors', {}, undefined, 1000n)), error: [/longlen\.safetensors/, /header length 1000/] },
  { name: 'header length 2^63', run: () => loadSafetensors(st('hugelen.safetensors', {}, undefined, 2n ** 63n)), error: [/hugelen\.safetensors/, /9223372036854775808/] },
  { name: 'header not JSON', run: () => loadSafetensors(st('notjson.safetensors', '{"a": ')), error: [/notjson\.safetensors/, /not valid JSON/] },
  { name: 'header is an array', run: () => loadSafetensors(st('arr.safetensors', [1, 2])), error: [/arr\.safetensors/, /an array/] },
  { name: 'unknown dtype', run: () => loadSafetensors(st('dt.safetensors', { w: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))), error: [/dt\.safetensors/, /"Q7"/] },
  { name: 'shape with a string', run: () => loadSafetensors(st('shape.safetensors', { w: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, new Uint8Array(8))), error: [/shape\.safetensors/, /\["2"\]/] },
  { name: 'shape and bytes disagree', run: () => loadSafetensors(st('size.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))), error: [/size\.safetensors/, /\[3\]/, /12 bytes/] },
  { name: 'offsets out of range', run: () => loadSafetensors(st('oor.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8))), error: [/oor\.safetensors/, /\[0, 16\]/, /8 bytes/] },
  { name: 'offsets reversed', run: () => loadSafetensors(st('rev.safetensors', { w: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4))), error: [/rev\.safetensors/, /\[4, 0\]/] },
  { name: 'overlapping tensors', run: () => loadSafetensors(st('ovl.safetensors', { a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, new Uint8Array(6))), error: [/ovl\.safetensors/, /overlap/] },
  { name: 'trailing bytes', run: () => loadSafetensors(st('trail.safetensors', { a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(5))), error: [/trail\.safetensors/, /3 trailing bytes/] },
  { name: 'metadata value not a string', run: () => loadSafetensors(st('meta.safetensors', { __metadata__: { step: 5 } })), error: [/meta\.safetensors/, /"step"/] },
  { name: 'truncated data section', run: () => loadSafetensors(truncated), error: [/truncated\.safetensors/, /truncated|out of range/] },
  { name: 'a good file loads', run: () => loadSafetensors(good).tensors.w!.sum().item(), ok: (r) => assert.equal(r, 15) },
  { name: 'a plain safetensors file is not a checkpoint', run: () => loadCheckpoint(good), error: [/good\.safetensors/, /not a genlab checkpoint/] },
  { name: 'checkpointProblem names truncation', run: () => checkpointProblem(truncated), ok: (r) => assert.match(String(r), /truncated\.safetensors.*(truncated|out of range)/) },
  { name: 'save with a non-tensor', run: () => saveSafetensors(join(dir, 'x.safetensors'), { a: 3 as never }), error: [/x\.safetensors/, /"a" is not a Tensor/] },
  { name: 'save with a non-string metadata value', run: () => saveSafetensors(join(dir, 'y.safetensors'), { a: torch.ones([1]) }, { n: 1 as never }), error: [/y\.safetensors/, /"n"/] },
  // ---- IDX ----
  { name: 'idx: too short', run: () => parseIdx(idx([0, 0]), 'short.idx'), error: [/short\.idx/, /2 bytes/] },
  { name: 'idx: bad magic', run: () => parseIdx(idx([1, 2, 8, 1, 0, 0, 0, 1, 5]), 'magic.idx'), error: [/magic\.idx/, /bad magic 01 02 08 01/] },
  { name: 'idx: unknown type', run: () => parseIdx(idx([0, 0, 0x77, 1, 0, 0, 0, 1, 5]), 'type.idx'), error: [/type\.idx/, /0x77/] },
  { name: 'idx: zero dimensions', run: () => parseIdx(idx([0, 0, 8, 0]), 'zero.idx'), error: [/zero\.idx/, /0 dimensions/] },
  { name: 'idx: truncated header', run: () => parseIdx(idx([0, 0, 8, 3, 0, 0, 0, 1]), 'hdr.idx'), error: [/hdr\.idx/, /truncated IDX header/, /3 dimensions/] },
  { name: 'idx: truncated data', run: () => parseIdx(idx([0, 0, 8, 1, 0, 0, 0, 4, 1, 2]), 'data.idx'), error: [/data\.idx/, /\[4\]/, /needs 12 bytes/] },
  { name: 'idx: trailing bytes', run: () => parseIdx(idx([0, 0, 8, 1, 0, 0, 0, 1, 1, 2, 3]), 'trail.idx'), error: [/trail\.idx/, /2 unexpected trailing bytes/] },
  { name: 'idx: corrupt gzip', run: () => parseIdx(idx([0x1f, 0x8b, 8, 0, 1, 2, 3]), 'bad.gz'), error: [/bad\.gz/, /gzip/] },
  { name: 'idx: missing file', run: () => readIdx(join(dir, 'none.idx')), error: [/none\.idx/] },
  { name: 'idx: a good file', run: () => parseIdx(idx([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]), 'ok.idx').shape, ok: (r) => assert.deepEqual(r, [2]) },
  // ---- run names ----
  ...['..', '.', '', ' ', '../escaped', 'a/b', '/abs', 'a\\b', 'x\0y'].map((n): Case => ({ name: `run name ${JSON.stringify(n)}`, run: () => RunDir.at(dir, n), error: [/run name/, esc(JSON.stringify(n))] })),
  { name: 'a plain run name is fine', run: () => RunDir.at(dir, 'my-run_1.b').dir, ok: (r) => assert.equal(r, join(dir, 'my-run_1.b')) },
  { name: 'a 300-character name', run: () => checkRunName('x'.repeat(300)), error: [/run name/, /300 characters/] },
  // ---- training settings ----
  { name: 'steps 1e20', run: () => resolveTrainConfig({ steps: 1e20 }), error: [/'steps'/, /100000000000000000000/] },
  { name: 'steps 2e9', run: () => resolveTrainConfig({ steps: 2e9 }), error: [/'steps'/, /2000000000/, /at most/] },
  { name: 'batch 0', run: () => resolveTrainConfig({ batch: 0 }), error: [/'batch'/, /got 0/] },
  { name: 'lr NaN', run: () => resolveTrainConfig({ lr: NaN }), error: [/'lr'/, /NaN|null/] },
  { name: 'device tpu', run: () => resolveTrainConfig({ device: 'tpu' }), error: [/'device'/, /'tpu'/] },
  { name: 'unknown setting', run: () => resolveTrainConfig({ stepz: 3 } as never), error: [/'stepz'/] },
];

/** A small trained run to damage: checkpoints at steps 10 and 20. */
async function makeRun(name: string): Promise<RunDir> {
  const r = await trainRun({ model: 'gaussian', data: 'moons', out: dir, name, train: { steps: 20, ckptEvery: 10, logEvery: 5 }, pictures: false });
  assert.equal(r.status, 'completed');
  return r.run;
}

test(`files: ${cases.length} damaged-file and bad-name cases name the file and the problem`, async () => {
  assert.deepEqual(await runTable(cases, (f) => torch.scope(f)), []);
});

test('run folders: corrupt config.json, damaged checkpoints, fallback to the newest intact one', async () => {
  const run = await makeRun('base');
  const copy = (name: string): RunDir => {
    const d = join(dir, name);
    mkdirSync(join(d, 'checkpoints'), { recursive: true });
    for (const f of ['config.json', 'metrics.jsonl']) copyFileSync(join(run.dir, f), join(d, f));
    for (const s of run.checkpointSteps()) copyFileSync(run.checkpointPath(s), new RunDir(d).checkpointPath(s));
    return new RunDir(d);
  };
  const runCases: Case[] = [];
  const bad = copy('badjson');
  writeFileSync(bad.configPath, '{"version": 1, "model": "gaussian",, }');
  runCases.push({ name: 'corrupt config.json', run: () => openRun(bad.dir), error: [esc(bad.configPath), /not valid JSON/] });
  const arr = copy('arrjson');
  writeFileSync(arr.configPath, '[]');
  runCases.push({ name: 'config.json holding []', run: () => openRun(arr.dir), error: [esc(arr.configPath), /an array/] });
  const nomodel = copy('nomodel');
  writeFileSync(nomodel.configPath, JSON.stringify({ ...JSON.parse(readFileSync(run.configPath, 'utf8')), model: 7 }));
  runCases.push({ name: "config.json with model 7", run: () => openRun(nomodel.dir), error: [esc(nomodel.configPath), /'model' is 7/] });
  const unknownModel = copy('unknownmodel');
  writeFileSync(unknownModel.configPath, JSON.stringify({ ...JSON.parse(readFileSync(run.configPath, 'utf8')), model: 'gaussain' }));
  runCases.push({ name: 'config.json with an unknown model', run: () => openRun(unknownModel.dir), error: [/gaussain/] });
  const empty = copy('emptyconfig');
  writeFileSync(empty.configPath, '');
  runCases.push({ name: 'empty config.json', run: () => openRun(empty.dir), error: [esc(empty.configPath), /not valid JSON/] });
  runCases.push({ name: 'no run there', run: () => openRun(join(dir, 'nothing-here')), error: [/nothing-here/, /config\.json/] });
  runCases.push({ name: 'empty run name', run: () => openRun(''), error: [/run folder or name/, /""/] });
  // truncated newest checkpoint: falls back to step 10 with a warning
  const trunc = copy('trunc');
  truncateSync(trunc.checkpointPath(20), statSync(trunc.checkpointPath(20)).size - 100);
  const warnings: string[] = [];
  runCases.push({ name: 'truncated newest checkpoint falls back', run: () => { const o = openRun(trunc.dir, { warn: (m) => warnings.push(m) }); o.dispose(); return o.step; }, ok: (r) => { assert.equal(r, 10); assert.match(warnings.join('\n'), /step-0000020\.safetensors.*(truncated|out of range|beyond the end)/); } });
  // zero-byte newest checkpoint
  const zero = copy('zero');
  writeFileSync(zero.checkpointPath(20), '');
  runCases.push({ name: 'empty newest checkpoint falls back', run: () => { const o = openRun(zero.dir, { warn: () => {} }); o.dispose(); return o.step; }, ok: (r) => assert.equal(r, 10) });
  // every checkpoint damaged
  const allbad = copy('allbad');
  for (const s of allbad.checkpointSteps()) writeFileSync(allbad.checkpointPath(s), 'garbage');
  runCases.push({ name: 'all checkpoints damaged', run: () => openRun(allbad.dir, { warn: () => {} }), error: [esc(allbad.dir), /no intact checkpoint/] });
  // a plain safetensors file as the newest checkpoint
  const plain = copy('plain');
  copyFileSync(good, plain.checkpointPath(30));
  runCases.push({ name: 'a non-checkpoint safetensors is skipped', run: () => { const o = openRun(plain.dir, { warn: () => {} }); o.dispose(); return o.step; }, ok: (r) => assert.equal(r, 20) });
  runCases.push({ name: '--checkpoint of a missing step', run: () => openRun(run.dir, { checkpoint: '15' }), error: [/step 15/, /10, 20/] });
  runCases.push({ name: '--checkpoint of a missing file', run: () => openRun(run.dir, { checkpoint: 'nope.safetensors' }), error: [/"nope\.safetensors"/, /not found/] });
  runCases.push({ name: '--checkpoint by step', run: () => { const o = openRun(run.dir, { checkpoint: '10' }); o.dispose(); return o.step; }, ok: (r) => assert.equal(r, 10) });
  runCases.push({ name: '--checkpoint of a damaged file names it', run: () => openRun(trunc.dir, { checkpoint: trunc.checkpointPath(20) }), error: [/step-0000020\.safetensors/, /truncated|out of range|beyond the end/] });
  // resume plans
  const config = run.readConfig();
  runCases.push({ name: 'resume with fewer steps', run: () => planResume(config, { train: { steps: 10 } }, 20, 'r'), error: [/steps 10/, /step 20/] });
  runCases.push({ name: 'resume with a changed lr and batch', run: () => planResume(config, { train: { lr: 0.5, batch: 7 } }, 20, 'r'), error: [/batch 7/, new RegExp(`the run has ${config.train.batch}`)] });
  runCases.push({ name: 'resume with a lower lr says so', run: () => planResume(config, { train: { steps: 30, lr: 1e-4 } }, 20, 'r').changes.join('\n'), ok: (r) => assert.match(String(r), /lr .* -> 0\.0001/) });
  runCases.push({ name: 'resume with a changed model config', run: () => planResume(config, { modelConfig: { initScale: '9' } }, 10, 'r'), error: [/initScale/, /"9"/] });
  runCases.push({ name: 'resume of a finished run', run: () => planResume(config, {}, 20, 'r'), error: [/already trained to step 20/, /--steps above 20/] });
  runCases.push({ name: 'resume with more steps says so', run: () => planResume(config, { train: { steps: 40, lr: config.train.lr } }, 20, 'r').changes.join('\n'), ok: (r) => assert.match(String(r), /steps 20 -> 40/) });
  runCases.push({ name: 'resume with another logEvery is fine', run: () => planResume(config, { train: { steps: 30, logEvery: 2 } }, 20, 'r').config.train.logEvery, ok: (r) => assert.equal(r, 2) });
  assert.deepEqual(await runTable(runCases), []);
  FILE_RUN_CASES = runCases.length;
});

test('resume falls back past a truncated newest checkpoint and truncates metrics to it; resume without a checkpoint restarts metrics', async () => {
  const run = await makeRun('resume-trunc');
  truncateSync(run.checkpointPath(20), 50);
  const logs: string[] = [];
  const r = await trainRun({ model: '', data: '', out: dir, name: 'resume-trunc', resume: true, train: { steps: 25 }, pictures: false, log: (m) => logs.push(m) });
  assert.equal(r.status, 'completed');
  assert.match(logs.join('\n'), /skipping damaged checkpoint .*step-0000020/);
  assert.match(logs.join('\n'), /resumed resume-trunc from .*step-0000010/);
  const steps = run.readMetrics().map((m) => m.step);
  assert.deepEqual(steps, [5, 10, 15, 20, 25], 'metrics repeat or miss steps');

  const run2 = await makeRun('resume-none');
  rmSync(run2.checkpointsDir, { recursive: true });
  const r2 = await trainRun({ model: '', data: '', out: dir, name: 'resume-none', resume: true, pictures: false, log: () => {} });
  assert.equal(r2.status, 'completed');
  assert.deepEqual(run2.readMetrics().map((m) => m.step), [5, 10, 15, 20]);
});

let FILE_RUN_CASES = 0;
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
  void FILE_RUN_CASES;
});
void readSafetensorsHeader;

test('every run name stays a direct child of the runs folder, or is an error naming it (all short names over . / \\ a)', () => {
  const alphabet = ['.', '/', '\\', 'a', ' '];
  const names: string[] = [''];
  for (let len = 1; len <= 4; len++) {
    const prev = names.filter((n) => n.length === len - 1);
    for (const p of prev) for (const c of alphabet) names.push(p + c);
  }
  let ok = 0;
  let refused = 0;
  for (const n of names) {
    let d: RunDir | undefined;
    try {
      d = RunDir.at(dir, n);
    } catch (e) {
      assert.match((e as Error).message, esc(JSON.stringify(n)), `the error for ${JSON.stringify(n)} does not name it`);
      refused++;
      continue;
    }
    assert.equal(join(d.dir, '..'), dir, `${JSON.stringify(n)} resolved to ${d.dir}, outside ${dir}`);
    assert.notEqual(d.dir, dir);
    ok++;
  }
  assert.ok(ok > 10 && refused > 100, `${ok} accepted, ${refused} refused`);
});
