/**
 * The scripts that made the tests' hard-coded reference numbers live in bench/reference/; these helpers run
 * one and compare its output with the committed numbers, so a table can only change with its script.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** false, or why a test needing these Python modules must be skipped. */
export function skipWithoutPython(modules: string[] = []): false | string {
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], { stdio: 'ignore' });
  return r.status === 0 ? false : `${PYTHON} cannot import ${modules.join(', ')}`;
}

/** Runs bench/reference/<script> with args and parses its stdout as JSON. */
export function runReferenceScript(script: string, args: string[] = []): unknown {
  const path = fileURLToPath(new URL(`../bench/reference/${script}`, import.meta.url));
  const r = spawnSync(PYTHON, [path, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Same structure and keys; numbers equal to |a - b| <= rtol max(1, |b|). */
export function assertSameNumbers(committed: unknown, produced: unknown, rtol: number, path = '$'): void {
  if (typeof produced === 'number') {
    assert.equal(typeof committed, 'number', `${path}: committed ${JSON.stringify(committed)}, the script printed a number`);
    const a = committed as number;
    assert.ok(Math.abs(a - produced) <= rtol * Math.max(1, Math.abs(produced)), `${path}: committed ${a}, the script prints ${produced}`);
  } else if (Array.isArray(produced)) {
    assert.ok(Array.isArray(committed) && committed.length === produced.length, `${path}: committed ${JSON.stringify(committed)}, the script printed ${produced.length} values`);
    produced.forEach((v, i) => assertSameNumbers((committed as unknown[])[i], v, rtol, `${path}[${i}]`));
  } else if (produced && typeof produced === 'object') {
    assert.ok(committed && typeof committed === 'object', `${path}: not an object`);
    assert.deepEqual(Object.keys(committed as object).sort(), Object.keys(produced).sort(), `${path}: keys`);
    for (const [k, v] of Object.entries(produced)) assertSameNumbers((committed as Record<string, unknown>)[k], v, rtol, `${path}.${k}`);
  } else {
    assert.deepEqual(committed, produced, path);
  }
}
