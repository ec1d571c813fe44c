/**
 * Tensor printing, after PyTorch's torch/_tensor_str.py (PRINT_OPTS: precision 4, threshold 1000,
 * edge items 3, line width 80): one shared number format per tensor (integers with a trailing '.',
 * fixed 4 decimals, or scientific when the magnitudes span more than 1e3, reach 1e8 or go below 1e-4),
 * columns padded to the widest value, rows wrapped at 80 characters, tensors over 1000 elements
 * summarized with '...' keeping 3 items at each edge of every dimension, and suffixes for dtype,
 * device and autograd. Numbers round as Python's format does (half to even on exact ties).
 *
 * genlab's spellings differ from PyTorch's only where genlab's names do: `dtype=float64` (genlab
 * dtypes are strings), `requiresGrad=true`, `gradFn=<AddBackward0>`, `true`/`false` for booleans,
 * `size=[2, 0]` for empty tensors.
 */
import { scope, noGrad } from './scope.ts';
import type { Tensor } from './tensor.ts';

/** PyTorch's print options (torch.set_printoptions defaults). */
export const printOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 };

type Nested = (string | number | Nested)[];
const ELLIPSIS = Symbol('...');

/** Python's '{:.Nf}' of a double: exact digits, ties to even, '-0.0000' for negative zero, 'nan'/'inf'. */
export function pyFixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  let s: string;
  if (Math.abs(x) >= 1e21) s = BigInt(x).toString() + (p > 0 ? `.${'0'.repeat(p)}` : '');
  else {
    s = x.toFixed(p);
    const scaled = x * 10 ** p * 2;
    // An exact tie (x * 10^p = k + 1/2 exactly): JS rounds away from zero, Python to even.
    if (Number.isInteger(scaled) && Math.abs(scaled) % 2 === 1 && scaled / 2 / 10 ** p === x) {
      const k = Math.trunc(x * 10 ** p);
      const even = Math.abs(k) % 2 === 0 ? k : k + Math.sign(x);
      s = (even / 10 ** p).toFixed(p);
      if (x < 0 && !s.startsWith('-')) s = `-${s}`;
    }
  }
  if (Object.is(x, -0) && !s.startsWith('-')) s = `-${s}`;
  return s;
}

/** Python's '{:.Ne}': two-digit exponents at least (1.2346e+05). */
export function pyExp(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  let s = x.toExponential(p);
  // An exact tie at the (p+1)-th digit (the 100-digit expansion reads 5000...): JS rounds away
  // from zero, Python to even.
  const long = /^(-?)(\d)\.(\d+)e([+-]\d+)$/.exec(x.toExponential(Math.min(100, p + 60)));
  if (long && long[3]![p] === '5' && /^0*$/.test(long[3]!.slice(p + 1))) {
    const digits = long[2]! + long[3]!.slice(0, p);
    let k = BigInt(digits);
    if (k % 2n === 1n) k += 1n;
    let e = Number(long[4]);
    let d = k.toString();
    if (d.length > p + 1) {
      d = d.slice(0, p + 1);
      e += 1;
    }
    s = `${long[1]}${d[0]}${p > 0 ? `.${d.slice(1)}` : ''}e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
  }
  s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  return Object.is(x, -0) ? `-${s}` : s;
}

/** The shared format of one tensor's values (PyTorch's _Formatter). */
class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;
  constructor(readonly floating: boolean, values: (number | string)[]) {
    const p = printOptions.precision;
    if (!floating) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, String(v).length);
      return;
    }
    const nz = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0);
    if (nz.length === 0) return;
    let lo = Infinity, hi = 0;
    for (const v of nz) {
      const a = Math.abs(v);
      if (a < lo) lo = a;
      if (a > hi) hi = a;
      if (this.intMode && v !== Math.ceil(v)) this.intMode = false;
    }
    if (this.intMode) {
      if (hi / lo > 1000 || hi > 1e8) {
        this.sciMode = true;
        for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyExp(v, p).length);
      } else {
        for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyFixed(v, 0).length + 1);
      }
    } else if (hi / lo > 1000 || hi > 1e8 || lo < 1e-4) {
      this.sciMode = true;
      for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyExp(v, p).length);
    } else {
      for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyFixed(v, p).length);
    }
  }
  format(v: number | string): string {
    let s: string;
    if (!this.floating) s = String(v);
    else {
      const x = v as number;
      if (this.sciMode) s = pyExp(x, printOptions.precision);
      else if (this.intMode) s = pyFixed(x, 0) + (Number.isFinite(x) ? '.' : '');
      else s = pyFixed(x, printOptions.precision);
    }
    return s.length < this.maxWidth ? ' '.repeat(this.maxWidth - s.length) + s : s;
  }
}

/** Values of a tensor as nested arrays; with summarize, only the edge items of long dimensions. */
function gather(t: Tensor, summarize: boolean, floating: boolean): Nested | number | string {
  const edge = printOptions.edgeitems;
  const leaf = (x: Tensor): (number | string)[] => {
    const a = x.toTypedArray();
    if (a instanceof BigInt64Array) return Array.from(a, (v) => v.toString());
    if (x.dtype === 'bool') return Array.from(a as Uint8Array, (v) => (v ? 'true' : 'false'));
    return floating ? Array.from(a as ArrayLike<number>) : Array.from(a as ArrayLike<number>, (v) => String(v));
  };
  if (t.dim() === 0) return leaf(t)[0]!;
  const shape = t.shape;
  if (!summarize) {
    const flat = leaf(t);
    let i = 0;
    const build = (d: number): Nested => {
      const out: Nested = [];
      for (let k = 0; k < shape[d]!; k++) out.push(d === shape.length - 1 ? flat[i++]! : build(d + 1));
      return out;
    };
    return build(0);
  }
  const walk = (x: Tensor): Nested => {
    const n = x.size(0);
    const long = n > 2 * edge;
    if (x.dim() === 1) return long ? [...leaf(x.narrow(0, 0, edge)), ...leaf(x.narrow(0, n - edge, edge))] : leaf(x);
    const idx = long ? [...Array.from({ length: edge }, (_, k) => k), ...Array.from({ length: edge }, (_, k) => n - edge + k)] : Array.from({ length: n }, (_, k) => k);
    return idx.map((i) => walk(x.select(0, i)));
  };
  return walk(t);
}

function flatten(v: Nested | number | string, out: (number | string)[]): (number | string)[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

/** PyTorch's _vector_str and _tensor_str_with_formatter over gathered values. */
function render(v: Nested, shape: number[], indent: number, summarize: boolean, f: Formatter): string {
  const edge = printOptions.edgeitems;
  const n = shape[0]!;
  const long = summarize && n > 2 * edge;
  if (shape.length === 1) {
    const elementLength = f.maxWidth + 2;
    const perLine = Math.max(1, Math.floor((printOptions.linewidth - indent) / elementLength));
    const items = v.map((x) => f.format(x as number | string));
    const data = long ? [...items.slice(0, edge), ' ...', ...items.slice(edge)] : items;
    const lines: string[] = [];
    for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const rest = shape.slice(1);
  const parts: (string | typeof ELLIPSIS)[] = v.map((x) => render(x as Nested, rest, indent + 1, summarize, f));
  if (long) parts.splice(edge, 0, ELLIPSIS);
  const sep = `,${'\n'.repeat(shape.length - 1)}${' '.repeat(indent + 1)}`;
  return `[${parts.map((p) => (p === ELLIPSIS ? '...' : p)).join(sep)}]`;
}

/** PyTorch's _add_suffixes: suffixes on the last line while it stays within the line width. */
function addSuffixes(body: string, suffixes: string[], indent: number): string {
  const out = [body];
  let lastLineLen = body.length - body.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > printOptions.linewidth) {
      out.push(`,\n${' '.repeat(indent)}${s}`);
      lastLineLen = indent + s.length;
    } else {
      out.push(`, ${s}`);
      lastLineLen += s.length + 2;
    }
  }
  out.push(')');
  return out.join('');
}

/** The text of a tensor, as PyTorch prints it (see the file comment for genlab's spellings). */
export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return 'Tensor(<disposed>)';
  const prefix = 'tensor(';
  const indent = prefix.length;
  const shape = t.shape;
  const dtype = t.dtype;
  const numel = shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  const device = t.device;
  if (device !== 'cpu') suffixes.push(`device='${device}'`);
  let body: string;
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(`size=[${shape.join(', ')}]`);
    if (dtype !== 'float32') suffixes.push(`dtype=${dtype}`);
    body = '[]';
  } else {
    if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') suffixes.push(`dtype=${dtype}`);
    const floating = dtype.startsWith('float') || dtype === 'bfloat16';
    const summarize = numel > printOptions.threshold;
    const values = scope(() => noGrad(() => gather(t, summarize, floating)));
    const f = new Formatter(floating, flatten(values, []));
    body = Array.isArray(values) ? render(values, shape, indent, summarize, f) : f.format(values);
  }
  const gradFn = t.gradFn;
  if (gradFn !== null) suffixes.push(`gradFn=<${gradFn.split('::').pop()}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(prefix + body, suffixes, indent);
}
