/**
 * Installs the generated operators: Tensor methods, torch.<fn>, torch.linalg, torch.special, and
 * torch.ops.aten.<name> for every other ATen operator of the linked libtorch.
 */
import { N } from './native.ts';
import { Tensor, setToImpl } from './tensor.ts';
import { OP_TABLE, type OpSpec, type OverloadSpec, type TorchOps, type LinalgOps, type SpecialOps } from './ops.generated.ts';
import { dispatch, makeCaller, closest } from './dispatch.ts';
import { withConvLayout, withNchwInput } from './conv-layout.ts';
import { withOneDnnTranspose } from './conv-transpose.ts';

const proto = Tensor.prototype as unknown as Record<string, unknown>;
export const torchFns: Record<string, unknown> = {};
export const linalgFns: Record<string, unknown> = {};
export const specialFns: Record<string, unknown> = {};

for (const spec of Object.values(OP_TABLE)) {
  const call = makeCaller(spec);
  const fn = function (...args: unknown[]) {
    return call(undefined, args);
  };
  Object.defineProperty(fn, 'name', { value: spec.name });
  (spec.ns === 'torch' ? torchFns : spec.ns === 'linalg' ? linalgFns : specialFns)[spec.name] = fn;
  if (spec.method && !(spec.method in proto)) {
    const m = function (this: Tensor, ...args: unknown[]) {
      return call(this, args);
    };
    Object.defineProperty(m, 'name', { value: spec.method });
    proto[spec.method] = m;
  }
}

// CPU convolutions in channels_last (conv-layout.ts)
torchFns.conv2d = withConvLayout(torchFns.conv2d as (...args: unknown[]) => unknown);
torchFns.convTranspose2d = withNchwInput('convTranspose2d', withOneDnnTranspose(torchFns.convTranspose2d as (...args: unknown[]) => unknown));
torchFns.groupNorm = withNchwInput('groupNorm', torchFns.groupNorm as (...args: unknown[]) => unknown);

const toSpec = OP_TABLE['to'];
setToImpl((t, dtype, device, nonBlocking, copy) => {
  if (!toSpec) throw new Error('aten::to is missing');
  return dispatch(toSpec, t, [{ dtype: dtype ?? t.dtype, device: device ?? t.device, nonBlocking, copy }]) as Tensor;
});

// ---- torch.ops.aten.<name>: any operator, overloads found at first use ----

const KIND_CODE: Record<string, number> = { 'Tensor': 0, 'Tensor[]': 1, 'Tensor?[]': 2, 'int': 3, 'int[]': 4,
  'float': 5, 'float[]': 6, 'bool': 7, 'bool[]': 8, 'Scalar': 9, 'dtype': 10, 'layout': 11, 'memory_format': 12,
  'Device': 13, 'str': 14, 'Generator': 15, 'Scalar[]': 16 };
let schemaIndex: Map<string, string[]> | null = null;
const dynamicSpecs = new Map<string, OpSpec>();
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function allSchemaNames(): void {
  if (schemaIndex) return;
  schemaIndex = new Map();
  for (const s of N.allSchemas()) {
    const full = s.slice(0, s.indexOf('('));
    const base = full.split('.')[0]!;
    if (!schemaIndex.has(base)) schemaIndex.set(base, []);
    schemaIndex.get(base)!.push(full);
  }
}

function dynamicSpec(name: string): OpSpec | undefined {
  let spec = dynamicSpecs.get(name);
  if (spec) return spec;
  allSchemaNames();
  const fulls = schemaIndex!.get(name.includes('::') ? name : `aten::${name}`);
  if (!fulls) return undefined;
  const overloads: OverloadSpec[] = [];
  for (const full of fulls) {
    const info = N.opInfo(N.lookupOps([full])[0]!);
    const args = info.args as { name: string; kind: string; optional: boolean; hasDefault: boolean; kwargOnly: boolean }[];
    if (args.some((a) => KIND_CODE[a.kind] === undefined)) continue;
    let ret: string;
    if (info.aliasReturnArg >= 0) ret = `a${info.aliasReturnArg}`;
    else if (info.returns.length === 0) ret = 'v';
    else if (info.returns.length === 1) ret = info.returns[0] === 'Tensor' ? 't' : info.returns[0] === 'Tensor[]' ? 'tl' : 'x';
    else ret = info.returns.every((r) => r === 'Tensor') ? 'tt' : 'x';
    overloads.push([full, args.map((a) => [camel(a.name), KIND_CODE[a.kind]!, (a.optional ? 1 : 0) | (a.hasDefault ? 2 : 0) | (a.kwargOnly ? 4 : 0)]), ret]);
  }
  const required = (o: OverloadSpec) => o[1].filter((a) => (a[2] & 7) === 0).length;
  overloads.sort((a, b) => required(a) - required(b));
  spec = { ns: 'torch', name: `ops.aten.${name}`, method: null, overloads };
  dynamicSpecs.set(name, spec);
  return spec;
}

/** A caller of an operator registered with the dispatcher outside aten (genlab::<name>: native/src), by its full name. */
export function nativeOp(full: string): (...args: unknown[]) => unknown {
  const spec = dynamicSpec(full);
  if (!spec) throw new Error(`${full}: the native addon has no such operator (rebuild it: node scripts/setup.mjs --force)`);
  return (...args: unknown[]) => dispatch(spec, undefined, args);
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Properties that generic code probes on any object (promises, inspection, JSON): never operators. */
const PROBES = new Set(['then', 'toJSON', 'constructor', 'valueOf', 'toString', 'inspect', 'asymmetricMatch', 'nodeType', '$$typeof']);

function findSpec(prop: string): OpSpec | undefined {
  return dynamicSpec(prop) ?? (prop !== snake(prop) ? dynamicSpec(snake(prop)) : undefined);
}

function missingOperator(prop: string): (...args: unknown[]) => never {
  const f = (): never => {
    allSchemaNames();
    const near = closest(snake(prop), [...schemaIndex!.keys()].filter((k) => k.startsWith('aten::')).map((k) => k.slice(6)));
    throw new TypeError(
      `torch.ops.aten.${prop}: libtorch ${N.buildInfo().torchVersion} has no operator aten::${snake(prop)}${near ? ` (did you mean torch.ops.aten.${near}?)` : ''}`,
    );
  };
  Object.defineProperty(f, 'name', { value: prop });
  return f;
}

/**
 * torch.ops.aten.<name>(...args): calls any ATen operator (snake_case as in the schema, or camelCase),
 * picking the overload by the arguments. A name libtorch does not have is an error naming it when called.
 */
export const aten: Record<string, (...args: unknown[]) => unknown> = new Proxy({} as Record<string, (...args: unknown[]) => unknown>, {
  get(_target, prop) {
    if (typeof prop !== 'string' || PROBES.has(prop) || prop.startsWith('__')) return undefined;
    const spec = findSpec(prop);
    if (!spec) return missingOperator(prop);
    return (...args: unknown[]) => dispatch(spec, undefined, args);
  },
  has(_target, prop) {
    return typeof prop === 'string' && findSpec(prop) !== undefined;
  },
});

export type { TorchOps, LinalgOps, SpecialOps };
