/** Test helpers for nn/optim: tolerances, raw tensor files shared with PyTorch, running the reference script. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveSafetensors, loadSafetensors } from '../../src/io/safetensors.ts';
import { torch, Tensor } from '../../src/tensor/index.ts';

export const PYTHON = '/usr/bin/python3';
export const PARITY_SCRIPT = join(fileURLToPath(import.meta.url), '..', '..', '..', 'bench', 'reference', 'nn_parity.py');

let torchOk: boolean | undefined;
/** false, or the reason to skip tests that need PyTorch. */
export function skipWithoutTorch(): false | string {
  if (torchOk === undefined) torchOk = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  return torchOk ? false : `python3-torch is not installed (${PYTHON} -c 'import torch' failed)`;
}

/** Asserts |a - b| <= atol + rtol |b| elementwise. */
export function assertClose(a: Tensor | number[] | number, b: Tensor | number[] | number, tol: { atol?: number; rtol?: number } = {}, what = ''): void {
  const xs = typeof a === 'number' ? [a] : Array.isArray(a) ? a : a.toFlatArray();
  const ys = typeof b === 'number' ? [b] : Array.isArray(b) ? b : b.toFlatArray();
  assert.equal(xs.length, ys.length, `${what}: lengths ${xs.length} vs ${ys.length}`);
  const atol = tol.atol ?? 1e-5, rtol = tol.rtol ?? 1e-5;
  for (let i = 0; i < xs.length; i++) {
    const d = Math.abs(xs[i]! - ys[i]!);
    if (!(d <= atol + rtol * Math.abs(ys[i]!))) assert.fail(`${what} [${i}]: ${xs[i]} vs ${ys[i]} (diff ${d})`);
  }
}

interface RawEntry { dtype: 'float32' | 'int64'; shape: number[]; offset: number; nbytes: number }

/** Writes tensors to PREFIX.safetensors (the file the Python side reads; float32/int64 as given). */
export function writeRaw(prefix: string, tensors: Record<string, Tensor>): void {
  torch.scope(() => {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(tensors)) out[name] = t.dtype === 'int64' || t.dtype === 'float32' ? t : t.to('float32');
    saveSafetensors(`${prefix}.safetensors`, out);
  });
}

/** Reads PREFIX.safetensors (written by writeRaw or by the Python side) into tensors in the current scope. */
export function readRaw(prefix: string): Record<string, Tensor> {
  return loadSafetensors(`${prefix}.safetensors`).tensors;
}

/** Runs the reference script on a task directory; returns its parsed result.json. */
export function runParity(dir: string, timeoutMs = 120_000): Record<string, unknown> {
  const r = spawnSync(PYTHON, [PARITY_SCRIPT, dir], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) assert.fail(`nn_parity.py failed (status ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Record<string, unknown>;
}
