import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { torch } from '../../src/index.ts';

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('manualSeed: same seed, same numbers; different seed, different numbers', () => {
  torch.manualSeed(42);
  const a = torch.randn([5]).toFlatArray();
  torch.manualSeed(42);
  const b = torch.randn([5]).toFlatArray();
  torch.manualSeed(43);
  const c = torch.randn([5]).toFlatArray();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('generators are independent streams', () => {
  const g1 = new torch.Generator({ seed: 7 });
  const g2 = new torch.Generator({ seed: 7 });
  torch.manualSeed(0);
  const x = torch.rand([4], { generator: g1 }).toFlatArray();
  torch.randn([100]); // the default generator moves; g2 does not
  const y = torch.rand([4], { generator: g2 }).toFlatArray();
  assert.deepEqual(x, y);
  assert.equal(g1.initialSeed(), 7);
  g1.manualSeed(8);
  assert.equal(g1.initialSeed(), 8);
});

test('same numbers as PyTorch for the same seed and ops', { skip: hasTorch ? false : 'python3-torch (/usr/bin/python3 -c "import torch") is not installed' }, () => {
  torch.manualSeed(123);
  const ours = [torch.randn([4]), torch.rand([3]), torch.randint(0, 100, [3]), torch.randperm(5)].map((t) => t.toFlatArray());
  const py = spawnSync('/usr/bin/python3', ['-c',
    'import torch, json; torch.manual_seed(123); print(json.dumps([torch.randn(4).tolist(), torch.rand(3).tolist(), torch.randint(0,100,(3,)).tolist(), torch.randperm(5).tolist()]))'],
  { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const theirs = JSON.parse(py.stdout) as number[][];
  ours.forEach((o, k) => o.forEach((x, i) => assert.ok(Math.abs(x - theirs[k]![i]!) < 1e-6, `${k}/${i}: ${x} vs ${theirs[k]![i]}`)));
});

test('threads can be set and read', () => {
  const n = torch.getNumThreads();
  torch.setNumThreads(1);
  assert.equal(torch.getNumThreads(), 1);
  torch.setNumThreads(n);
  assert.throws(() => torch.setNumThreads(0), /integer >= 1/);
});
