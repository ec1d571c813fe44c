/** Table-driven bad-input cases: each names a call and either the error it must raise or a check of its result. */
import assert from 'node:assert/strict';

export interface Case {
  name: string;
  run: () => unknown;
  /** Every pattern must match the error message (the operator or file, and the bad value). */
  error?: RegExp[];
  /** Checks a successful result (the right value). */
  ok?: (r: unknown) => void;
}

/** Runs one case: an error must be a JS Error whose message matches every pattern; else the check passes. */
export async function runCase(c: Case): Promise<void> {
  let result: unknown;
  let err: unknown;
  try {
    result = c.run();
    if (result instanceof Promise) result = await result;
  } catch (e) {
    err = e;
  }
  if (c.error) {
    assert.ok(err !== undefined, `${c.name}: expected an error matching ${c.error.join(' and ')}, got a result ${String(result).slice(0, 200)}`);
    assert.ok(err instanceof Error, `${c.name}: threw a non-Error ${String(err)}`);
    const m = (err as Error).message;
    for (const re of c.error) assert.match(m, re, `${c.name}: message does not say ${re}: ${m}`);
    assert.ok(m.split('\n').length <= 12, `${c.name}: message is ${m.split('\n').length} lines long`);
  } else {
    if (err !== undefined) throw new Error(`${c.name}: unexpected error: ${(err as Error).message ?? String(err)}`);
    c.ok?.(result);
  }
}

/** Runs every case (each inside `wrap`, e.g. a tensor scope) and returns the failures, one line each. */
export async function runTable(cases: Case[], wrap: (f: () => Promise<void>) => Promise<void> | void = (f) => f()): Promise<string[]> {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      await wrap(() => runCase(c));
    } catch (e) {
      failures.push((e as Error).message.split('\n').slice(0, 3).join(' | '));
    }
  }
  return failures;
}
