import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { torch, Tensor, type DType } from '../../src/tensor/index.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
  SafetensorsError,
} from '../../src/io/index.ts';

const PY = '/usr/bin/python3';
const noTorch = spawnSync(PY, ['-c', 'import torch']).status === 0 ? false : `python3-torch is not installed (${PY} -c 'import torch' failed)`;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-st-'));

function python(code: string, args: string[] = []): string {
  const r = spawnSync(PY, ['-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

/** Exact element data: raw bits for half types (so the comparison is bit-exact and NaN-safe). */
function bits(t: Tensor): unknown[] {
  return torch.scope(() => {
    if (t.dtype === 'float16' || t.dtype === 'bfloat16') return t.contiguous().view('int16').toFlatArray();
    if (t.dtype === 'float32') return Array.from(new Uint32Array((t.contiguous().toTypedArray() as Float32Array).buffer));
    if (t.dtype === 'float64' || t.dtype === 'int64') return Array.from(new BigInt64Array(t.contiguous().view('int64').toTypedArray().buffer), String);
    return t.toFlatArray();
  });
}

/** One tensor of every dtype (seeded), including a scalar, an empty and a non-contiguous tensor. */
function everyDtype(): Record<string, Tensor> {
  torch.manualSeed(0);
  const f32 = torch.randn([3, 4]);
  f32.view([-1]).narrow(0, 0, 3).copy_(torch.tensor([NaN, Infinity, -0]));
  return {
    f32,
    f64: torch.randn([2, 3], { dtype: 'float64' }),
    f16: torch.randn([5]).mul(1000).to('float16'),
    bf16: torch.randn([2, 2, 2]).to('bfloat16'),
    i64: torch.fromTypedArray(BigInt64Array.from([-(2n ** 62n), 2n ** 62n + 12345n, -1n, 0n]), [2, 2]),
    i32: torch.randint(-(2 ** 31), 2 ** 31 - 1, [7], { dtype: 'int32' }),
    i16: torch.randint(-32768, 32767, [3, 1], { dtype: 'int16' }),
    i8: torch.randint(-128, 127, [9], { dtype: 'int8' }),
    u8: torch.randint(0, 255, [2, 5], { dtype: 'uint8' }),
    bool: torch.randn([6]).gt(0),
    scalar: torch.tensor(3.25, { dtype: 'float64' }),
    empty: torch.zeros([0, 3]),
    transposed: torch.randn([3, 5]).transpose(0, 1),
    '0': torch.tensor([1, 2], { dtype: 'int32' }),
  };
}

test('safetensors: every dtype round-trips bit-exactly through a buffer and a file', () => {
  torch.scope(() => {
    const src = everyDtype();
    const dir = tmp();
    const path = join(dir, 'all.safetensors');
    saveSafetensors(path, src, { format: 'pt', note: 'héllo' });
    for (const got of [decodeSafetensors(encodeSafetensors(src, { format: 'pt', note: 'héllo' })), loadSafetensors(path)]) {
      assert.deepEqual(Object.keys(got.tensors).sort(), Object.keys(src).sort());
      assert.deepEqual(got.metadata, { format: 'pt', note: 'héllo' });
      for (const [k, t] of Object.entries(src)) {
        const g = got.tensors[k]!;
        assert.equal(g.dtype, t.dtype, k);
        assert.deepEqual(g.shape, t.shape, k);
        assert.deepEqual(bits(g), bits(t), k);
      }
    }
    assert.deepEqual(readFileSync(path), encodeSafetensors(src, { format: 'pt', note: 'héllo' }));
  });
});

test('safetensors: header is sorted, padded to 8 bytes, offsets contiguous and aligned', () => {
  torch.scope(() => {
    const buf = encodeSafetensors(everyDtype(), { b: '1', a: '2' });
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const text = buf.subarray(8, 8 + n).toString('utf8');
    assert.match(text, /^\{"__metadata__":\{"a":"2","b":"1"\},"0":/);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    assert.deepEqual(names, names.slice().sort());
    const size: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 };
    const ranges = names.map((k) => header[k]!).sort((a, b) => a.data_offsets[0] - b.data_offsets[0]);
    let pos = 0;
    for (const r of ranges) {
      assert.equal(r.data_offsets[0], pos);
      assert.equal(r.data_offsets[0] % size[r.dtype]!, 0, `aligned ${r.dtype}`);
      pos = r.data_offsets[1];
    }
    assert.equal(pos, buf.byteLength - 8 - n);
  });
});

const PY_WRITE = String.raw`
import json, struct, sys, torch
torch.manual_seed(0)
ts = {
  'w.f32': torch.randn(3, 4),
  'b.i8': torch.tensor([-3, 7, 127], dtype=torch.int8),
  'w.f64': torch.randn(5, dtype=torch.float64),
  'h.f16': (torch.randn(2, 3) * 100).half(),
  'h.bf16': torch.randn(4).bfloat16(),
  'i.i64': torch.tensor([-2**62, 2**62 + 7, 5]),
  'i.i32': torch.tensor([[1, -2], [3, 2**31 - 1]], dtype=torch.int32),
  'i.i16': torch.tensor([-32768, 32767], dtype=torch.int16),
  'u.u8': torch.tensor([0, 200, 255], dtype=torch.uint8),
  'm.bool': torch.tensor([True, False, True]),
  'scalar': torch.tensor(1.5),
  'empty': torch.zeros(0, 2),
}
names = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64',
         torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
header, blobs, pos, expect = {'__metadata__': {'source': 'python', 'torch': torch.__version__}}, [], 0, {}
for k, t in ts.items():   # insertion order: tensors deliberately unaligned, header unpadded
  b = t.contiguous().view(-1).view(torch.uint8).numpy().tobytes() if t.dim() > 0 else t.reshape(1).view(torch.uint8).numpy().tobytes()
  header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [pos, pos + len(b)]}
  blobs.append(b); pos += len(b)
  if t.dtype in (torch.float16, torch.bfloat16): expect[k] = t.view(torch.int16).reshape(-1).tolist()
  elif t.dtype == torch.float32: expect[k] = t.reshape(-1).view(torch.int32).tolist()
  elif t.dtype == torch.float64: expect[k] = [str(v) for v in t.reshape(-1).view(torch.int64).tolist()]
  elif t.dtype == torch.int64: expect[k] = [str(v) for v in t.reshape(-1).tolist()]
  else: expect[k] = [int(v) for v in t.reshape(-1).tolist()]
h = json.dumps(header).encode()
with open(sys.argv[1], 'wb') as f:
  f.write(struct.pack('<Q', len(h))); f.write(h); f.write(b''.join(blobs))
print(json.dumps({'expect': expect, 'shapes': {k: list(t.shape) for k, t in ts.items()},
  'dtypes': {k: str(t.dtype).replace('torch.', '') for k, t in ts.items()},
  'values': {k: t.double().reshape(-1).tolist() for k, t in ts.items() if t.is_floating_point()}}))
`;

test('safetensors: reads files written by PyTorch (hand-written format, unaligned tensors)', { skip: noTorch }, () => {
  const path = join(tmp(), 'py.safetensors');
  const { expect, shapes, dtypes, values } = JSON.parse(python(PY_WRITE, [path])) as {
    expect: Record<string, unknown[]>; shapes: Record<string, number[]>; dtypes: Record<string, string>; values: Record<string, number[]>;
  };
  torch.scope(() => {
    const { tensors, metadata } = loadSafetensors(path);
    assert.equal(metadata.source, 'python');
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expect).sort());
    for (const [k, want] of Object.entries(expect)) {
      const t = tensors[k]!;
      assert.deepEqual(t.shape, shapes[k], k);
      assert.equal(t.dtype, dtypes[k], k);
      if (values[k]) assert.deepEqual(torch.scope(() => t.to('float64').toFlatArray()), values[k], k);
      let got = bits(t);
      if (t.dtype === 'float32') got = (got as number[]).map((u) => u | 0); // python gave int32 views
      if (t.dtype === 'float16' || t.dtype === 'bfloat16') got = (got as number[]).map(Number);
      if (t.dtype === 'bool') got = (got as number[]).map(Number);
      assert.deepEqual(got, want, k);
    }
    assert.equal(tensors['i.i64']!.toTypedArray()[1], 2n ** 62n + 7n);
  });
});

const PY_READ = String.raw`
import json, math, struct, sys, torch
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8+n])
data = raw[8+n:]
names = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
         'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}
out = {}
for k, e in header.items():
  if k == '__metadata__': continue
  b, end = e['data_offsets']
  t = torch.frombuffer(bytearray(data[b:end]) or bytearray(1), dtype=torch.uint8)[:end-b].view(names[e['dtype']]).reshape(e['shape'])
  if t.dtype in (torch.float16, torch.bfloat16): out[k] = t.view(torch.int16).reshape(-1).tolist()
  elif t.dtype == torch.float32: out[k] = [v & 0xffffffff for v in t.reshape(-1).view(torch.int32).tolist()]
  elif t.dtype in (torch.float64, torch.int64): out[k] = [str(v) for v in t.reshape(-1).view(torch.int64).tolist()]
  else: out[k] = [int(v) for v in t.reshape(-1).tolist()]
  out[k] = {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'data': out[k],
            'values': [v if math.isfinite(v) else str(v) for v in t.double().reshape(-1).tolist()] if t.is_floating_point() else None}
print(json.dumps({'tensors': out, 'metadata': header.get('__metadata__', {})}))
`;

test('safetensors: files written by genlab read back in PyTorch with the same bits', { skip: noTorch }, () => {
  const path = join(tmp(), 'ts.safetensors');
  torch.scope(() => {
    const src = everyDtype();
    saveSafetensors(path, src, { written_by: 'genlab' });
    const py = JSON.parse(python(PY_READ, [path])) as {
      tensors: Record<string, { shape: number[]; dtype: string; data: unknown[]; values: number[] | null }>; metadata: Record<string, string>;
    };
    assert.deepEqual(py.metadata, { written_by: 'genlab' });
    for (const [k, t] of Object.entries(src)) {
      assert.deepEqual(py.tensors[k]!.shape, t.shape, k);
      assert.equal(py.tensors[k]!.dtype, t.dtype, k);
      const pyStr = (v: number): number | string => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
      if (py.tensors[k]!.values) assert.deepEqual(py.tensors[k]!.values, torch.scope(() => t.to('float64').toFlatArray()).map(pyStr), k);
      let want = bits(t);
      if (t.dtype === 'bool') want = (want as number[]).map(Number);
      assert.deepEqual(py.tensors[k]!.data, want, k);
    }
  });
});

/** Builds a safetensors buffer from a header (object or raw text) and data bytes. */
function rawFile(header: unknown, data: Uint8Array | number, lengthOverride?: number): Buffer {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(lengthOverride ?? h.byteLength));
  return Buffer.concat([len, h, typeof data === 'number' ? Buffer.alloc(data) : data]);
}

const MALFORMED: [string, Buffer, RegExp][] = [
  ['truncated before the header length', Buffer.from([1, 0, 0]), /truncated/],
  ['empty file', Buffer.alloc(0), /truncated/],
  ['header length beyond the file', rawFile({}, 0, 1000), /header length 1000 goes beyond/],
  ['bad JSON', rawFile('{"a": {"dtype": "F32",', 0), /not valid JSON/],
  ['header not an object', rawFile('[1, 2]', 0), /must be a JSON object/],
  ['invalid UTF-8', rawFile(Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), 0).fill(0xff, 9, 10), /UTF-8/],
  ['unknown dtype', rawFile({ a: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype "F17"/],
  ['unsupported dtype', rawFile({ a: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype "U32"/],
  ['missing dtype', rawFile({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /dtype/],
  ['negative shape', rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape must be/],
  ['bad data_offsets', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /data_offsets must be/],
  ['offsets reversed', rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4), /end before they begin/],
  ['shape not matching the byte range', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes but data_offsets \[0, 8\] hold 8/],
  ['dtype not matching the byte range', rawFile({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, 8), /needs 16 bytes/],
  ['offsets out of range', rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), /out of range/],
  ['overlapping tensors', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlap/],
  ['gap in the data', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), /belong to no tensor \(gap/],
  ['trailing bytes', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /4 trailing bytes/],
  ['metadata not strings', rawFile({ __metadata__: { a: 1 } }, 0), /must be a string/],
];

test('safetensors: malformed buffers are rejected with a specific error', () => {
  for (const [what, buf, re] of MALFORMED) {
    assert.throws(() => decodeSafetensors(buf, { source: 'buf.safetensors' }), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, what);
      assert.match(e.message, /^safetensors: buf\.safetensors: /, what);
      assert.match(e.message, re, `${what}: ${e.message}`);
      return true;
    }, what);
  }
});

test('safetensors: malformed files are rejected naming the file (load and header-only read)', () => {
  const dir = tmp();
  for (const [i, [what, buf, re]] of MALFORMED.entries()) {
    const path = join(dir, `bad${i}.safetensors`);
    writeFileSync(path, buf);
    for (const read of [() => loadSafetensors(path), () => readSafetensorsHeader(path)]) {
      assert.throws(read, (e: unknown) => {
        assert.ok(e instanceof SafetensorsError, what);
        assert.equal(e.file, path);
        assert.ok(e.message.includes(path), what);
        assert.match(e.message, re, `${what}: ${e.message}`);
        return true;
      }, what);
    }
  }
});

test('safetensors: a file cut short anywhere is rejected, and rejection leaks no tensors', () => {
  const dir = tmp();
  torch.scope(() => {
    const good = encodeSafetensors(everyDtype());
    const before = torch.memory().tensors;
    for (const cut of [1, 7, 8, 20, good.byteLength - 100, good.byteLength - 1]) {
      const path = join(dir, `cut${cut}.safetensors`);
      writeFileSync(path, good.subarray(0, cut));
      assert.throws(() => loadSafetensors(path), (e: unknown) => e instanceof SafetensorsError && e.message.includes(path), `cut at ${cut}`);
    }
    assert.equal(torch.memory().tensors, before);
  });
});

test('safetensors: writing rejects bad input', () => {
  torch.scope(() => {
    assert.throws(() => encodeSafetensors({ __metadata__: torch.zeros([1]) }), /reserved/);
    assert.throws(() => encodeSafetensors({ a: 1 as unknown as Tensor }), /not a Tensor/);
    assert.throws(() => encodeSafetensors({ a: torch.zeros([1]) }, { x: 2 as unknown as string }), /must be a string/);
    assert.throws(() => encodeSafetensors({ a: torch.zeros([2], { dtype: 'complex64' as DType }) }), /complex64/);
  });
});

test('safetensors: load does not leak; loaded tensors belong to the caller scope; filter and __proto__ names', () => {
  const path = join(tmp(), 'm.safetensors');
  torch.scope(() => saveSafetensors(path, { __proto__x: torch.ones([2]), ['__proto__']: torch.ones([1]), a: torch.zeros([3]) } as Record<string, Tensor>));
  const before = torch.memory();
  const n = torch.scope(() => {
    const { tensors } = loadSafetensors(path);
    assert.ok(Object.prototype.hasOwnProperty.call(tensors, '__proto__'));
    assert.deepEqual(Object.keys(loadSafetensors(path, { filter: (k) => k === 'a' }).tensors), ['a']);
    return Object.keys(tensors).length;
  });
  assert.equal(n, 3);
  assert.deepEqual(torch.memory(), before);
});

test('safetensors: a failing save leaves the previous file intact and no temporary files', () => {
  const dir = tmp();
  const path = join(dir, 'w.safetensors');
  torch.scope(() => {
    saveSafetensors(path, { a: torch.arange(10) });
    const old = readFileSync(path);
    // A tensor that fails only when its data is read, after the header and other tensors were written.
    const bad = torch.zeros([1000]);
    Object.defineProperty(bad, 'detach', { value: () => { throw new Error('boom while writing'); } });
    assert.throws(() => saveSafetensors(path, { a: torch.arange(10), z: bad }), /boom while writing/);
    assert.deepEqual(readFileSync(path), old);
    assert.deepEqual(readdirSync(dir), ['w.safetensors']);
  });
});

test('safetensors: killing a process mid-save never leaves a broken file', async () => {
  const dir = tmp();
  const path = join(dir, 'k.safetensors');
  const script = join(dir, 'writer.ts');
  const io = resolve('src/io/index.ts');
  const tensorIndex = resolve('src/tensor/index.ts');
  writeFileSync(script, `
    import { torch } from ${JSON.stringify(tensorIndex)};
    import { saveSafetensors } from ${JSON.stringify(io)};
    torch.manualSeed(11);
    const base = torch.randn([1 << 21]);
    for (let i = 0; ; i++) {
      torch.scope(() => saveSafetensors(${JSON.stringify(path)}, { big: base.add(i), i: torch.tensor([i], { dtype: 'int64' }) }));
      if (i === 0) process.stdout.write('ready\\n');
    }
  `);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', () => res());
    child.on('exit', (c) => rej(new Error(`writer exited early (${c})`)));
  });
  // Every save writes base + i with its i: the file must hold one whole save, never a mix of two.
  torch.manualSeed(11);
  const base = torch.randn([1 << 21]).keep();
  const checkFile = (when: string) =>
    torch.scope(() => {
      assert.ok(existsSync(path), when);
      const { tensors } = loadSafetensors(path);
      assert.deepEqual(tensors.big!.shape, [1 << 21]);
      const i = Number(tensors.i!.item());
      assert.ok(Number.isInteger(i) && i >= 0, `${when}: i = ${i}`);
      const bad = tensors.big!.ne(base.add(i)).sum().item();
      assert.equal(bad, 0, `${when}: ${bad} of ${1 << 21} values are not those of save ${i}`);
    });
  try {
    // Freeze the writer at random moments (what a kill would leave on disk at that instant) and check the
    // file each time, then kill it for real and check once more.
    for (let k = 0; k < 8; k++) {
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 60)));
      child.kill('SIGSTOP');
      try {
        checkFile(`stop ${k}`);
      } finally {
        child.kill('SIGCONT');
      }
    }
    await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 100)));
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
  }
  checkFile('after SIGKILL');
  base.dispose();
});

test('expanded (stride-0), transposed and narrowed tensors save with their values (issue #8)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-st-expand-'));
  try {
    torch.scope(() => {
      const cases: Record<string, Tensor> = {
        expanded1d: torch.tensor([5]).expand([4]),
        expandedScalar: torch.tensor(2.5).expand([2, 3]),
        expandedCol: torch.tensor([[1], [2], [3]]).expand([3, 4]),
        transposed: torch.arange(6, { dtype: 'float32' }).reshape([2, 3]).t(),
        narrowed: torch.arange(6).reshape([2, 3]).narrow(1, 1, 2),
      };
      const file = join(dir, 'x.safetensors');
      saveSafetensors(file, cases);
      const back = loadSafetensors(file).tensors;
      for (const [k, t] of Object.entries(cases)) assert.deepEqual(back[k]!.toArray(), t.toArray(), k);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
