/**
 * Overload choice depends only on the arguments (issue #9). For EVERY generated operator whose
 * overloads disagree at some argument between int and int[], the chosen overload for a bare int, an
 * int array and a named int is the same whether the call comes first or after calls that chose other
 * overloads; and it follows PyTorch's rule: an int[] parameter takes a bare int only when no overload
 * takes an int there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.ts';
import { OP_TABLE, type OpSpec } from '../../src/tensor/ops.generated.ts';
import { makeCaller } from '../../src/tensor/dispatch.ts';
import { N } from '../../src/tensor/native.ts';

const K_INT = 3, K_INT_LIST = 4;

/** Operators with an int/int[] ambiguity at a positional place: [spec, place]. */
function ambiguous(): [OpSpec, number][] {
  const out: [OpSpec, number][] = [];
  for (const spec of Object.values(OP_TABLE)) {
    const places = new Set<number>();
    const maxArgs = Math.max(...spec.overloads.map((o) => o[1].length));
    for (let i = 0; i < maxArgs; i++) {
      const kinds = new Set(spec.overloads.map((o) => o[1][i]).filter((a) => a && (a[2] & 4) === 0).map((a) => a![1]));
      if (kinds.has(K_INT) && kinds.has(K_INT_LIST)) places.add(i);
    }
    for (const p of places) out.push([spec, p]);
  }
  return out;
}

/**
 * Which overload a call picks, found without running the kernel: the chosen overload's compiled
 * invoker calls N.call(id, ...), which we intercept and abort.
 */
function chosen(call: (self: undefined, args: unknown[]) => unknown, args: unknown[]): string {
  const real = N.call;
  let picked = '';
  (N as { call: unknown }).call = (id: number) => {
    picked = N.opInfo(id).name;
    throw new Error('__stop__');
  };
  try {
    call(undefined, args);
    return 'returned';
  } catch (e) {
    const m = (e as Error).message;
    return picked || (m.includes('__stop__') ? '?' : `error: ${m.split('\n')[0]}`);
  } finally {
    (N as { call: unknown }).call = real;
  }
}

/** Arguments for a call that reach place p: tensors/ints/defaults before it, the probe value at p. */
function argsFor(spec: OpSpec, overload: number, p: number, probe: unknown): unknown[] | null {
  const args = spec.overloads[overload]![1];
  const out: unknown[] = [];
  const x = torch.ones([6, 6]);
  for (let i = 0; i < args.length && (args[i]![2] & 4) === 0; i++) {
    const [, kind, flags] = args[i]!;
    if (i === p) out.push(probe);
    else if (i < p || (flags & 3) === 0) {
      if (kind === 0) out.push(x);
      else if (kind === 1) out.push([x, x]);
      else if (kind === K_INT) out.push(1);
      else if (kind === K_INT_LIST) out.push([1]);
      else if (kind === 5 || kind === 9) out.push(1.5);
      else if (kind === 7) out.push(false);
      else return null;
    } else break;
  }
  return out;
}

test('the int/int[] ambiguities are enumerated from the schemas (split, tensor_split, randint, movedim, ...)', () => {
  const names = new Set(ambiguous().map(([s]) => s.name));
  for (const n of ['split', 'tensorSplit', 'randint', 'movedim']) assert.ok(names.has(n), `${n} missing from ${[...names].join(', ')}`);
});

test('overload choice is independent of call history for every operator with an int/int[] ambiguity', () => {
  let checked = 0;
  torch.scope(() => {
    for (const [spec, p] of ambiguous()) {
      // Every call shape that reaches place p, with a bare int and with an int array there.
      const calls: unknown[][] = [];
      spec.overloads.forEach((_, k) => {
        for (const probe of [2, [2, 3], [1]]) {
          const a = argsFor(spec, k, p, probe);
          if (a) calls.push(a);
        }
      });
      // Fresh choice of each call (a new caller: no history).
      const fresh = calls.map((a) => chosen(makeCaller(spec), a));
      // The same calls through ONE caller, in forward and in reverse order, twice.
      const shared = makeCaller(spec);
      for (const order of [calls.map((_, i) => i), calls.map((_, i) => calls.length - 1 - i), calls.map((_, i) => i)]) {
        for (const i of order) {
          assert.equal(chosen(shared, calls[i]!), fresh[i], `${spec.name} call ${i} (${JSON.stringify(calls[i]!.map((v) => (typeof v === 'object' && !Array.isArray(v) ? 'T' : v)))}) depends on history`);
          checked++;
        }
      }
      // PyTorch's rule: a bare int at p never goes to an int[] parameter when an overload takes an int there.
      calls.forEach((a, i) => {
        if (Number.isInteger(a[p]) && fresh[i]!.startsWith('aten::')) {
          const o = spec.overloads.find((x) => x[0] === fresh[i]);
          assert.notEqual(o?.[1][p]?.[1], K_INT_LIST, `${spec.name}: bare int went to the int[] of ${fresh[i]}`);
        }
      });
    }
  });
  assert.ok(checked > 50, `only ${checked} calls checked`);
});

test("issue #9's examples: tensorSplit(3) after tensorSplit([1, 4]); arange(6).split(2); randint(5, 10)", () => {
  const x = torch.arange(6);
  assert.deepEqual(x.tensorSplit([1, 4]).map((t) => t.toArray()), [[0], [1, 2, 3], [4, 5]]);
  assert.deepEqual(x.tensorSplit(3).map((t) => t.toArray()), [[0, 1], [2, 3], [4, 5]]);
  assert.deepEqual(x.tensorSplit([1, 4]).map((t) => t.toArray()), [[0], [1, 2, 3], [4, 5]]);
  assert.deepEqual(torch.arange(6).split(2).map((t) => t.toArray()), [[0, 1], [2, 3], [4, 5]]);
  assert.deepEqual(torch.arange(6).split([2, 4]).map((t) => t.toArray()), [[0, 1], [2, 3, 4, 5]]);
  assert.deepEqual(torch.arange(6).split(2).map((t) => t.toArray()), [[0, 1], [2, 3], [4, 5]]);
  assert.throws(() => torch.randint(5, 10), /torch\.randint.*\(5, 10\).*missing 'size'/s);
  assert.deepEqual(torch.randint(5, 10, [3]).shape, [3]);
  assert.deepEqual(torch.randint(5, [4]).shape, [4]);
  // an int[] with no int overload at that place still takes a bare int (sum(-1), view(-1))
  assert.deepEqual(torch.ones([2, 3]).sum(-1).shape, [2]);
  assert.deepEqual(torch.ones([2, 3]).view(-1).shape, [6]);
  assert.deepEqual(torch.ones([2, 3]).movedim(0, 1).shape, [3, 2]);
  assert.deepEqual(torch.ones([2, 3, 4]).movedim([0, 1], [2, 0]).shape, [3, 4, 2]);
});
