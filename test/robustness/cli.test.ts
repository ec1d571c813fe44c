/**
 * Bad command lines: every case exits non-zero with a message naming the flag and the bad value (and
 * leaves no stray run folder), or does the right thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../cli/run-cli.ts';
import { torch } from '../../src/index.ts';


const root = mkdtempSync(join(tmpdir(), 'genlab-robust-cli-'));
const out = join(root, 'runs');
const esc = (p: string) => new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const train = (...a: string[]) => ['train', 'gaussian', '--data', 'moons', '--out', out, '-q', '--no-pictures', ...a];

interface CliCase {
  name: string;
  args: string[] | (() => string[]);
  code: number;
  err?: RegExp[];
  out?: RegExp[];
  after?: () => void;
}

const cuda = torch.cuda.isAvailable();
const cases: CliCase[] = [
  { name: '--name ../escaped', args: train('--name', '../escaped', '--steps', '2'), code: 2, err: [/--name/, /"\.\.\/escaped"/], after: () => assert.ok(!existsSync(join(root, 'escaped'))) },
  { name: '--name ""', args: train('--name', '', '--steps', '2'), code: 2, err: [/--name/, /""/] },
  { name: '--name /abs', args: train('--name', join(root, 'abs'), '--steps', '2'), code: 2, err: [/--name/, esc(join(root, 'abs'))], after: () => assert.ok(!existsSync(join(root, 'abs'))) },
  { name: '--name a/b', args: train('--name', 'a/b', '--steps', '2'), code: 2, err: [/--name/, /"a\/b"/] },
  { name: '--name ..', args: train('--name', '..', '--steps', '2'), code: 2, err: [/--name/, /"\.\."/] },
  { name: '--name .', args: train('--name', '.', '--steps', '2'), code: 2, err: [/--name/, /"\."/] },
  { name: '--resume --name ../x', args: ['train', '--resume', '--name', '../x', '--out', out], code: 2, err: [/--name/, /"\.\.\/x"/] },
  { name: "--out ''", args: ['train', 'gaussian', '--data', 'moons', '--out', '', '--name', 'x', '--steps', '2'], code: 2, err: [/--out/, /''/] },
  { name: "sample --root ''", args: ['sample', 'x', '--root', ''], code: 2, err: [/--root/, /''/] },
  { name: '--steps 1e20', args: train('--steps', '1e20'), code: 2, err: [/--steps/, /'1e20'/] },
  { name: '--steps 10^20 digits', args: train('--steps', '100000000000000000000'), code: 2, err: [/--steps/, /'100000000000000000000'/] },
  { name: '--steps 2e9 as digits', args: train('--steps', '2000000000', '--name', 'huge'), code: 1, err: [/'steps'/, /2000000000/, /at most/], after: () => assert.ok(!existsSync(join(out, 'huge'))) },
  { name: '--steps 0', args: train('--steps', '0', '--name', 'zero'), code: 1, err: [/'steps'/, /got 0/] },
  { name: '--steps -5', args: train('--steps', '-5'), code: 1, err: [/'steps'/, /-5/] },
  { name: '--steps 2.5', args: train('--steps', '2.5'), code: 2, err: [/--steps/, /'2\.5'/] },
  { name: '--steps missing value', args: train('--steps'), code: 2, err: [/--steps needs a value/] },
  { name: '--batch 0', args: train('--batch', '0', '--steps', '2'), code: 1, err: [/'batch'/, /got 0/] },
  { name: '--batch 1e8 as digits', args: train('--batch', '100000000', '--steps', '2'), code: 1, err: [/'batch'/, /100000000/] },
  { name: '--lr abc', args: train('--lr', 'abc'), code: 2, err: [/--lr/, /'abc'/] },
  { name: '--lr -1', args: train('--lr', '-1', '--steps', '2'), code: 1, err: [/'lr'/, /-1/] },
  { name: '--lr Infinity', args: train('--lr', 'Infinity'), code: 2, err: [/--lr/, /'Infinity'/] },
  { name: '--ema 1', args: train('--ema', '1', '--steps', '2'), code: 1, err: [/'ema'/, /got 1/] },
  { name: '--seed -1', args: train('--seed', '-1', '--steps', '2'), code: 1, err: [/'seed'/, /-1/] },
  { name: '--optimizer lion', args: train('--optimizer', 'lion'), code: 2, err: [/--optimizer/, /'lion'/] },
  { name: '--schedule step', args: train('--schedule', 'step'), code: 2, err: [/--schedule/, /'step'/] },
  { name: '--device tpu', args: train('--device', 'tpu', '--steps', '2', '--name', 'tpu'), code: 1, err: [/device/, /"tpu"|'tpu'/], after: () => assert.ok(!existsSync(join(out, 'tpu'))) },
  { name: '--device cuda', args: train('--device', 'cuda', '--steps', '2', '--name', 'cud'), code: cuda ? 0 : 1, err: cuda ? [] : [/"cuda"/, /not available/, /without CUDA/], after: () => assert.equal(existsSync(join(out, 'cud')), cuda) },
  { name: '--device cuda:3', args: train('--device', 'cuda:3', '--steps', '2', '--name', 'cud3'), code: 1, err: [/"cuda:3"/] },
  { name: '--config with an unknown key', args: train('--config', 'keepDim=1'), code: 2, err: [/--config key 'keepDim'/] },
  { name: '--config lr=abc', args: train('--config', 'lr=abc'), code: 2, err: [/--config lr/, /'abc'/] },
  { name: '--config without =', args: train('--config', 'lr'), code: 2, err: [/--config takes key=value/, /'lr'/] },
  { name: 'unknown flag', args: train('--stepz', '3'), code: 2, err: [/unknown flag --stepz/] },
  { name: '--no-pictures=maybe', args: train('--quiet=maybe'), code: 2, err: [/--quiet/, /'maybe'/] },
  { name: 'unknown command', args: ['trian'], code: 2, err: [/unknown command 'trian'/] },
  { name: 'unknown model', args: ['train', 'gausian', '--data', 'moons'], code: 2, err: [/unknown model 'gausian'/] },
  { name: 'extra positional', args: train('extra'), code: 2, err: [/unexpected argument 'extra'/] },
  { name: 'unknown data set', args: ['train', 'gaussian', '--data', 'moon'], code: 2, err: [/--data/, /'moon'/] },
  { name: '--resume without --name', args: ['train', '--resume', '--out', out], code: 2, err: [/--resume needs --name/] },
  { name: '--resume of a missing run', args: ['train', '--resume', '--name', 'ghost', '--out', out], code: 1, err: [esc(join(resolve(out), 'ghost')), /no config\.json/] },
  // a real run, then bad resumes of it
  { name: 'train a run of 20 steps', args: train('--name', 'r', '--steps', '20', '--ckpt-every', '10'), code: 0, out: [/trained r for 20 steps/] },
  { name: 'train the same name again', args: train('--name', 'r', '--steps', '20'), code: 1, err: [/already exists/, /--resume/] },
  { name: '--resume --steps 10 below step 20', args: ['train', '--resume', '--name', 'r', '--out', out, '--steps', '10', '-q'], code: 1, err: [/steps 10/, /step 20/] },
  // lr may change on resume (how a diverged run continues); the batch size may not: the refusal names it
  { name: '--resume --lr 0.5 --batch 7', args: ['train', '--resume', '--name', 'r', '--out', out, '--lr', '0.5', '--batch', '7', '--steps', '30', '-q'], code: 1, err: [/batch 7/, /keeps the settings/] },
  { name: '--resume of a finished run', args: ['train', '--resume', '--name', 'r', '--out', out, '-q'], code: 1, err: [/already trained to step 20/] },
  { name: '--resume --data other', args: ['train', '--resume', '--name', 'r', '--out', out, '--data', '8gaussians', '-q'], code: 1, err: [/uses data 'moons', not '8gaussians'/] },
  { name: '--resume --steps 30 says what changes', args: ['train', '--resume', '--name', 'r', '--out', out, '--steps', '30', '-q', '--no-pictures'], code: 0, err: [/resume: steps 20 -> 30/], out: [/trained r for 30 steps/] },
  // sample / eval
  { name: 'sample a missing run', args: ['sample', 'ghost', '--root', out], code: 1, err: [/no run at/, /ghost/] },
  { name: 'sample without a run', args: ['sample'], code: 2, err: [/give the run/] },
  { name: 'sample --n 0', args: ['sample', 'r', '--root', out, '--n', '0'], code: 2, err: [/--n/, /0/] },
  { name: 'sample --out x.jpg', args: ['sample', 'r', '--root', out, '--out', join(root, 'x.jpg')], code: 2, err: [/--out/, /x\.jpg/] },
  { name: 'sample --checkpoint 7', args: ['sample', 'r', '--root', out, '--checkpoint', '7'], code: 1, err: [/step 7/] },
  { name: 'sample --temperature abc', args: ['sample', 'r', '--root', out, '--temperature', 'abc'], code: 2, err: [/--temperature/, /'abc'/] },
  { name: 'eval --n -3', args: ['eval', 'r', '--root', out, '--n', '-3'], code: 1, err: [/-3/] },
  { name: 'sample with a truncated newest checkpoint falls back', args: () => { const p = join(out, 'r', 'checkpoints', 'step-0000030.safetensors'); truncateSync(p, statSync(p).size - 10); return ['sample', 'r', '--root', out, '--out', join(root, 's.safetensors')]; }, code: 0, err: [/skipping damaged checkpoint .*step-0000030/], out: [/wrote 2000 samples/] },
  { name: 'eval with a truncated newest checkpoint falls back', args: ['eval', 'r', '--root', out, '--json', '--n', '200'], code: 0, err: [/step-0000030/], out: [/"step":20/] },
  { name: 'resume with a truncated newest checkpoint falls back', args: ['train', '--resume', '--name', 'r', '--out', out, '--steps', '30', '-q', '--no-pictures'], code: 0, err: [/skipping damaged checkpoint/, /resumed r from .*step-0000020/] },
  { name: 'sample with a corrupt config.json', args: () => { writeFileSync(join(out, 'r', 'config.json'), '{"model": "gaussian",'); return ['sample', 'r', '--root', out]; }, code: 1, err: [esc(join(resolve(out), 'r', 'config.json')), /not valid JSON/] },
  { name: 'eval with a corrupt config.json', args: ['eval', 'r', '--root', out], code: 1, err: [/config\.json/, /not valid JSON/] },
  { name: 'resume with a corrupt config.json', args: ['train', '--resume', '--name', 'r', '--out', out], code: 1, err: [/config\.json/, /not valid JSON/] },
];

test(`cli: ${cases.length} bad command lines exit non-zero naming the flag and value (or do the right thing)`, async () => {
  const failures: string[] = [];
  for (const c of cases) {
    const args = typeof c.args === 'function' ? c.args() : c.args;
    const r = await cli(args);
    try {
      assert.equal(r.code, c.code, `exit code ${r.code}, stderr: ${r.err.slice(0, 300)}`);
      for (const re of c.err ?? []) assert.match(r.err, re);
      for (const re of c.out ?? []) assert.match(r.out, re);
      c.after?.();
    } catch (e) {
      failures.push(`${c.name}: ${(e as Error).message.split('\n').slice(0, 2).join(' | ')}`);
    }
  }
  assert.deepEqual(failures, []);
  // nothing was written outside --out
  assert.deepEqual(readdirSync(root).sort(), ['runs', 's.safetensors']);
  const metrics = readFileSync(join(out, 'r', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);
  assert.deepEqual(metrics, [...new Set(metrics)].sort((a, b) => a - b), 'metrics.jsonl repeats steps');
});

test.after(() => rmSync(root, { recursive: true, force: true }));
