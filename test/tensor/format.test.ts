/**
 * Printing like PyTorch: the same values printed by genlab (String(t), util.inspect) and by
 * python3-torch's repr (bench/reference/print_tensors.py), for 0-4 dimensions, every number format
 * (integer-valued, fixed, scientific, nan/inf, -0, ties), summarized large sizes, line wrapping and
 * suffixes. genlab's spellings differ only where its names do (src/tensor/format.ts): dtype=float64,
 * requiresGrad=true, gradFn=<...>, true/false, size=[...]; the PyTorch text is mapped to those.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import { saveSafetensors } from '../../src/io/safetensors.ts';
import { pyFixed, pyExp } from '../../src/tensor/format.ts';

const PY = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '..', '..', 'bench', 'reference', 'print_tensors.py');
const noTorch = spawnSync(PY, ['-c', 'import torch']).status === 0 ? false : 'python3-torch is not installed';

/** PyTorch's spellings -> genlab's. */
function toGenlab(s: string): string {
  return s
    .replace(/dtype=torch\./g, 'dtype=')
    .replace(/requires_grad=True/g, 'requiresGrad=true')
    .replace(/grad_fn=/g, 'gradFn=')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/size=\(([\d, ]*)\)/g, (_, d: string) => `size=[${d}]`);
}

function cases(): { tensors: Record<string, Tensor>; grad: Record<string, string> } {
  const g = new torch.Generator({ seed: 7 });
  const r = (shape: number[], scale = 1) => torch.randn(shape, { generator: g }).mul(scale);
  const tensors: Record<string, Tensor> = {
    d0: torch.tensor(3.14159),
    d0int: torch.tensor(7, { dtype: 'int64' }),
    d0intFloat: torch.tensor(-2),
    d1int: torch.tensor([1, 2, 3]),
    d1fixed: torch.tensor([0.1, -2.5, 3.25, 100.125]),
    d1sci: torch.tensor([1e-5, 1, 1e5]),
    d1bigInts: torch.tensor([1e9, 1, -3]),
    d1nonfinite: torch.tensor([NaN, Infinity, -Infinity, 1.5, 0]),
    d1nonfiniteInt: torch.tensor([NaN, 2, -Infinity]),
    d1negzero: torch.tensor([-0, 1.25]),
    d1ties: torch.tensor([0.03125, 0.09375, -0.03125, 1.5]),
    d1zeros: torch.zeros([4]),
    d1bool: torch.tensor([1, 0, 1]).bool(),
    d1int32: torch.tensor([1, -20, 300], { dtype: 'int32' }),
    d1uint8: torch.tensor([0, 255, 17], { dtype: 'uint8' }),
    d1long: torch.arange(40).mul(1234567),
    d1wrap: r([30]),
    d1half: torch.tensor([0.5, 1.25, 3]).to('float16'),
    d2: r([3, 4]),
    d2wrap: r([5, 20], 10),
    d2f64: r([3, 3]).double(),
    d2mixed: torch.tensor([[1e-3, 2], [3000, -4]]),
    d2big: r([64, 16]),
    d3: r([2, 3, 4]),
    d3big: r([10, 10, 12]),
    d4: r([2, 2, 3, 3]),
    d4big: r([8, 8, 8, 8], 1e-5),
    d1large: torch.arange(2000, { dtype: 'float32' }),
    d1largeRand: r([2000], 1000),
    d2largeInt: torch.arange(5000).reshape([50, 100]),
    d2largeBool: r([40, 40]).gt(0),
    empty1: torch.zeros([0]),
    empty2: torch.zeros([2, 0]),
    emptyInt: torch.zeros([0], { dtype: 'int64' }),
    leaf: r([2, 3]),
    mul2: r([3]),
    wrapSuffix: r([2, 7], 100).double(),
  };
  return { tensors, grad: { leaf: 'leaf', mul2: 'mul2', wrapSuffix: 'leaf' } };
}

test('Python number formats: ties to even, -0, two-digit exponents, nan/inf', () => {
  assert.equal(pyFixed(0.03125, 4), '0.0312');
  assert.equal(pyFixed(0.09375, 4), '0.0938');
  assert.equal(pyFixed(-0.03125, 4), '-0.0312');
  assert.equal(pyFixed(-0, 4), '-0.0000');
  assert.equal(pyFixed(2.5, 0), '2');
  assert.equal(pyFixed(1e22, 1), '10000000000000000000000.0');
  assert.equal(pyExp(123456, 4), '1.2346e+05');
  assert.equal(pyExp(100.125, 4), '1.0012e+02');
  assert.equal(pyExp(9.99995, 4), '1.0000e+01');
  assert.equal(pyExp(-1.03125, 4), '-1.0312e+00');
  assert.equal(pyExp(1e-100, 4), '1.0000e-100');
  assert.equal(pyExp(-Infinity, 4), '-inf');
});

test('tensors print as python3-torch prints the same values (0-4 dims, large sizes, suffixes)', { skip: noTorch, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-print-'));
  try {
    torch.scope(() => {
      const { tensors, grad } = cases();
      saveSafetensors(join(dir, 'tensors.safetensors'), tensors);
      writeFileSync(join(dir, 'cases.json'), JSON.stringify(grad));
      const r = spawnSync(PY, [SCRIPT, dir], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const printed = JSON.parse(readFileSync(join(dir, 'printed.json'), 'utf8')) as Record<string, string>;
      for (const [name, t0] of Object.entries(tensors)) {
        let t = t0;
        if (grad[name] === 'leaf') t = t0.requiresGrad_(true);
        if (grad[name] === 'mul2') t = t0.requiresGrad_(true).mul(t0);
        const expected = toGenlab(printed[name]!);
        assert.equal(String(t), expected, `${name}:\n--- genlab\n${String(t)}\n--- PyTorch (genlab spelling)\n${expected}`);
        assert.equal(inspect(t), expected, `${name}: console.log prints the same`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 64x16 tensor prints values (summarized rows and columns), as PyTorch 1.13 does', () => {
  torch.scope(() => {
    const s = String(torch.arange(1024, { dtype: 'float32' }).reshape([64, 16]));
    assert.equal(s, [
      'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.3000e+01, 1.4000e+01,',
      '         1.5000e+01],',
      '        [1.6000e+01, 1.7000e+01, 1.8000e+01,  ..., 2.9000e+01, 3.0000e+01,',
      '         3.1000e+01],',
      '        [3.2000e+01, 3.3000e+01, 3.4000e+01,  ..., 4.5000e+01, 4.6000e+01,',
      '         4.7000e+01],',
      '        ...,',
      '        [9.7600e+02, 9.7700e+02, 9.7800e+02,  ..., 9.8900e+02, 9.9000e+02,',
      '         9.9100e+02],',
      '        [9.9200e+02, 9.9300e+02, 9.9400e+02,  ..., 1.0050e+03, 1.0060e+03,',
      '         1.0070e+03],',
      '        [1.0080e+03, 1.0090e+03, 1.0100e+03,  ..., 1.0210e+03, 1.0220e+03,',
      '         1.0230e+03]])',
    ].join('\n'));
  });
});
