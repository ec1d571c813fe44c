/** Bad inputs to the tensor engine: every case raises an error naming the operator and the bad value, or returns the right result. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim, type Tensor } from '../../src/index.ts';
import { runTable, type Case } from './helpers.ts';

const T = (): Tensor => torch.ones([2, 3]);
const eq = (want: unknown) => (r: unknown) => assert.deepEqual((r as Tensor).toArray(), want);
const shape = (want: number[]) => (r: unknown) => assert.deepEqual((r as Tensor).shape, want);
const any = <T>(v: T) => v as never;

const cases: Case[] = [
  // ---- overload choice (issue #9) ----
  { name: 'tensorSplit sections after indices', run: () => { torch.arange(6).tensorSplit([1, 4]); return torch.arange(6).tensorSplit(3).map((t) => t.numel()); }, ok: (r) => assert.deepEqual(r, [2, 2, 2]) },
  { name: 'tensorSplit indices after sections', run: () => { torch.arange(6).tensorSplit(3); return torch.arange(6).tensorSplit([1, 4]).map((t) => t.numel()); }, ok: (r) => assert.deepEqual(r, [1, 3, 2]) },
  { name: 'split(int)', run: () => torch.arange(6).split(2).length, ok: (r) => assert.equal(r, 3) },
  { name: 'split(int[]) after split(int)', run: () => torch.arange(6).split([1, 5]).map((t) => t.numel()), ok: (r) => assert.deepEqual(r, [1, 5]) },
  { name: 'torch.split(x, 4)', run: () => torch.split(torch.arange(6), 4).map((t) => t.numel()), ok: (r) => assert.deepEqual(r, [4, 2]) },
  { name: 'split with named splitSize', run: () => torch.arange(6).split({ splitSize: 3 } as never).length, ok: (r) => assert.equal(r, 2) },
  { name: 'randint without size', run: () => torch.randint(5, 10), error: [/torch\.randint/, /\(5, 10\)/, /missing 'size'/] },
  { name: 'randint(high, size)', run: () => torch.randint(5, [7]), ok: shape([7]) },
  { name: 'randint(low, high, size) range', run: () => { const r = torch.randint(5, 10, [500]); return [r.min().item(), r.max().item()]; }, ok: (r) => { const [lo, hi] = r as number[]; assert.ok(lo! >= 5 && hi! < 10); } },
  { name: 'movedim ints', run: () => torch.ones([2, 3]).movedim(0, 1), ok: shape([3, 2]) },
  { name: 'sum(-1) bare int to int[]', run: () => T().sum(-1), ok: eq([3, 3]) },
  { name: 'mean([0, 1])', run: () => T().mean([0, 1]).item(), ok: (r) => assert.equal(r, 1) },
  { name: 'view(-1)', run: () => T().view(-1), ok: shape([6]) },
  { name: 'flip(0)', run: () => torch.arange(3).flip(0), ok: eq([2, 1, 0]) },
  { name: 'max(dim) returns values and indices', run: () => (torch.tensor([[1, 5], [7, 2]]).max(1) as unknown as Tensor[])[1]!.toArray(), ok: (r) => assert.deepEqual(r, [1, 0]) },
  { name: 'add(scalar) then add(tensor)', run: () => { T().add(1); return T().add(T()).sum().item(); }, ok: (r) => assert.equal(r, 12) },
  { name: 'arange(start, end) after arange(start, end, step)', run: () => { torch.arange(0, 10, 3); return torch.arange(0, 3).toArray(); }, ok: (r) => assert.deepEqual(r, [0, 1, 2]) },
  // ---- unknown option keys and bad option values ----
  { name: 'keepDim misspelled', run: () => T().sum(1, any({ keepDim: true })), error: [/Tensor\.sum/, /unknown option 'keepDim'/, /did you mean 'keepdim'/] },
  { name: 'dtyp misspelled', run: () => torch.zeros([2], any({ dtyp: 'float64' })), error: [/torch\.zeros/, /unknown option 'dtyp'/, /'dtype'/] },
  { name: 'unknown option on softmax', run: () => T().softmax(1, any({ axis: 0 })), error: [/softmax/, /unknown option 'axis'/] },
  { name: 'dtype float128', run: () => torch.zeros([2], any({ dtype: 'float128' })), error: [/torch\.zeros/, /"float128"/, /float32/] },
  { name: 'dtype as number', run: () => torch.ones([2], any({ dtype: 6 })), error: [/torch\.ones/, /'dtype' got 6/] },
  { name: 'dtype in .to', run: () => T().to(any({ dtype: 'float8' })), error: [/to/, /float8/] },
  { name: 'to("float99")', run: () => T().to('float99'), error: [/float99/] },
  { name: 'requiresGrad not boolean', run: () => torch.ones([2], any({ requiresGrad: 'yes' })), error: [/torch\.ones/, /requiresGrad/, /"yes"/] },
  { name: 'keepdim not boolean', run: () => T().sum(1, any({ keepdim: 'true' })), error: [/Tensor\.sum/, /keepdim/, /"true"/] },
  { name: 'dim as string', run: () => T().sum(any('1')), error: [/Tensor\.sum/, /"1"/] },
  { name: 'dim as float', run: () => T().softmax(any(0.5)), error: [/softmax/, /0\.5/] },
  { name: 'too many positional args', run: () => (T().exp.bind(T()) as (...a: unknown[]) => unknown)(1, 2), error: [/Tensor\.exp/, /at most 0 positional/, /got 2/] },
  { name: 'shape of strings', run: () => torch.zeros(any(['a', 'b'])), error: [/torch\.zeros/, /\["a", "b"\]/] },
  { name: 'shape with NaN', run: () => torch.zeros(any([NaN])), error: [/torch\.zeros/, /NaN/] },
  { name: 'shape with a fraction', run: () => torch.ones([2.5]), error: [/torch\.ones/, /2\.5/] },
  { name: 'negative shape', run: () => torch.randn([-1]), error: [/randn|empty/, /-1|negative/] },
  { name: 'shape as object', run: () => torch.zeros(any({ n: 2 })), error: [/torch\.zeros/, /missing 'size'|size/] },
  { name: 'view to a wrong size', run: () => T().view([4]), error: [/aten::view/, /\[4\]/] },
  { name: 'reshape with strings', run: () => T().reshape(any(['x'])), error: [/reshape/, /\["x"\]/] },
  { name: 'a string where a tensor goes', run: () => T().add(any('x')), error: [/Tensor\.add/, /"x"/] },
  { name: 'null where a tensor goes', run: () => T().matmul(any(null)), error: [/matmul/, /null/] },
  { name: 'undefined where a tensor goes', run: () => torch.cat(any([T(), undefined])), error: [/torch\.cat/, /undefined/] },
  { name: 'cat of a non-array', run: () => torch.cat(any(T())), error: [/torch\.cat/, /Tensor<float32\[2, 3\]>/] },
  { name: 'cat of nothing', run: () => torch.cat([]), error: [/cat/, /non-empty|expected/i] },
  { name: 'a bigint where an int goes', run: () => T().sum(any(1n)), error: [/Tensor\.sum/, /1n/] },
  { name: 'a function where a tensor goes', run: () => T().mul(any(() => 1)), error: [/Tensor\.mul/, /function/] },
  { name: 'a Map where a tensor goes', run: () => T().mul(any(new Map())), error: [/Tensor\.mul/, /Map/] },
  // ---- shapes, dims, indices (libtorch's checks, with the call named) ----
  { name: 'matmul shape mismatch', run: () => T().matmul(T()), error: [/aten::matmul/, /float32\[2, 3\]/] },
  { name: 'add broadcast mismatch', run: () => T().add(torch.ones([4])), error: [/aten::add/, /float32\[4\]/] },
  { name: 'dim out of range', run: () => T().sum(5), error: [/aten::sum/, /5/, /out of range/i] },
  { name: 'select out of range', run: () => T().select(0, 9), error: [/select/, /9/] },
  { name: 'index with floats', run: () => T().indexSelect(0, torch.tensor([0.5])), error: [/index_select/, /float32\[1\]/] },
  { name: 'gather index too big', run: () => T().gather(1, torch.tensor([[5]], { dtype: 'int64' })), error: [/gather/, /out of bounds|index/i] },
  { name: 'mm of mixed dtypes', run: () => torch.mm(torch.ones([2, 2], { dtype: 'float64' }), torch.ones([2, 2])), error: [/aten::mm/, /float64|Double/] },
  { name: 'conv2d with wrong rank', run: () => torch.conv2d(torch.ones([3]), torch.ones([1, 1, 1, 1])), error: [/conv2d/, /float32\[3\]/] },
  { name: 'item of many elements', run: () => T().item(), error: [/item/, /6 elements/] },
  { name: 'size(dim) out of range', run: () => T().size(7), error: [/size/, /7/] },
  { name: 'chunk(0)', run: () => T().chunk(0), error: [/chunk/, /0|chunks/] },
  { name: 'split(0)', run: () => T().split(0), error: [/split/, /0|split_size/] },
  { name: 'expand to a smaller size', run: () => T().expand([1, 3]), error: [/expand/, /\[1, 3\]/] },
  { name: 'permute with repeated dims', run: () => T().permute([0, 0]), error: [/permute/, /\[0, 0\]/] },
  { name: 'softmax on int64 works as float?', run: () => torch.arange(3).softmax(0), error: [/softmax/, /int64|Long/] },
  // ---- creation: torch.tensor and fromTypedArray ----
  { name: 'uint8 300', run: () => torch.tensor([300, -1], { dtype: 'uint8' }), error: [/torch\.tensor/, /300/, /uint8/] },
  { name: 'uint8 -1', run: () => torch.tensor([1, -1], { dtype: 'uint8' }), error: [/torch\.tensor/, /-1/, /uint8/] },
  { name: 'int8 128', run: () => torch.tensor([128], { dtype: 'int8' }), error: [/torch\.tensor/, /128/, /int8/] },
  { name: 'int16 40000', run: () => torch.tensor([[1], [40000]], { dtype: 'int16' }), error: [/torch\.tensor/, /40000/, /int16/] },
  { name: 'int32 3e9', run: () => torch.tensor([3e9], { dtype: 'int32' }), error: [/torch\.tensor/, /3000000000/, /int32/] },
  { name: 'int64 1e20', run: () => torch.tensor([1e20], { dtype: 'int64' }), error: [/torch\.tensor/, /100000000000000000000/, /int64/] },
  { name: 'int64 NaN', run: () => torch.tensor([NaN], { dtype: 'int64' }), error: [/torch\.tensor/, /NaN/, /int64/] },
  { name: 'int32 Infinity', run: () => torch.tensor([Infinity], { dtype: 'int32' }), error: [/torch\.tensor/, /Infinity/, /int32/] },
  { name: 'uint8 255 and 0 are fine', run: () => torch.tensor([255, 0], { dtype: 'uint8' }), ok: eq([255, 0]) },
  { name: 'int8 -128 fine', run: () => torch.tensor([-128, 127], { dtype: 'int8' }), ok: eq([-128, 127]) },
  { name: 'int64 fractions truncate as in PyTorch', run: () => torch.tensor([1.7, -1.7], { dtype: 'int64' }), ok: eq([1, -1]) },
  { name: 'bigint elements make int64 exactly', run: () => torch.tensor([2n ** 60n]).toTypedArray()[0], ok: (r) => assert.equal(r, 2n ** 60n) },
  { name: 'unknown dtype in torch.tensor', run: () => torch.tensor([1], any({ dtype: 'half' })), error: [/torch\.tensor/, /"half"/] },
  { name: 'unknown option in torch.tensor', run: () => torch.tensor([1], any({ dtyp: 'int64' })), error: [/torch\.tensor/, /unknown option 'dtyp'/] },
  { name: 'string element', run: () => torch.tensor(any([1, '2'])), error: [/torch\.tensor/, /data\[1\]/, /"2"/] },
  { name: 'ragged array', run: () => torch.tensor([[1, 2], [3]]), error: [/torch\.tensor/, /ragged/, /data\[1\]/] },
  { name: 'null data', run: () => torch.tensor(any(null)), error: [/torch\.tensor/, /null/] },
  { name: 'string data', run: () => torch.tensor(any('abc')), error: [/torch\.tensor/, /"abc"/] },
  { name: 'object data', run: () => torch.tensor(any({ a: 1 })), error: [/torch\.tensor/, /object/] },
  { name: 'shape option with nested data', run: () => torch.tensor([1, 2], any({ shape: [2, 1] })), error: [/torch\.tensor/, /shape/] },
  { name: 'typed array with a wrong shape', run: () => torch.tensor(new Float32Array(4), { shape: [3] }), error: [/fromTypedArray/, /\[3\]/, /4/] },
  { name: 'typed array with a shape of strings', run: () => torch.tensor(new Float32Array(4), { shape: any(['a', 'b']) }), error: [/fromTypedArray/, /\["a","b"\]/] },
  { name: 'fromTypedArray of a plain array', run: () => torch.fromTypedArray(any([1, 2]), [2]), error: [/fromTypedArray/, /typed array/] },
  { name: 'fromTypedArray negative shape', run: () => torch.fromTypedArray(new Float32Array(2), [-2]), error: [/fromTypedArray/, /-2/] },
  { name: 'Uint16Array unsupported', run: () => torch.fromTypedArray(new Uint16Array(2), [2]), error: [/Uint16Array/] },
  // ---- data out ----
  { name: 'item int64 beyond 2^53', run: () => torch.tensor([2n ** 60n]).item(), error: [/item/, /1152921504606846976/, /toTypedArray/] },
  { name: 'toFlatArray int64 beyond 2^53', run: () => torch.tensor([1n, -(2n ** 62n)]).toFlatArray(), error: [/toFlatArray/, /-4611686018427387904/, /toTypedArray/] },
  { name: 'toArray int64 beyond 2^53', run: () => torch.tensor([[2n ** 55n]]).toArray(), error: [/toFlatArray/, /36028797018963968/] },
  { name: 'item int64 at 2^53-1 is exact', run: () => torch.tensor([2n ** 53n - 1n]).item(), ok: (r) => assert.equal(r, 2 ** 53 - 1) },
  { name: 'item of a disposed tensor', run: () => { const t = torch.ones([1]); t.dispose(); return t.item(); }, error: [/disposed|freed/i] },
  { name: 'op on a disposed tensor', run: () => { const t = torch.ones([1]); t.dispose(); return t.add(1); }, error: [/add/, /disposed/i] },
  // ---- RNG ----
  { name: 'Generator seed as string', run: () => new torch.Generator({ seed: any('42') }), error: [/Generator/, /"42"/, /string/] },
  { name: 'Generator seed 1.5', run: () => new torch.Generator({ seed: 1.5 }), error: [/Generator/, /1\.5/] },
  { name: 'Generator seed -1 is taken modulo 2^64 as in PyTorch (deterministic)', run: () => [0, 1].map(() => torch.rand([2], { generator: new torch.Generator({ seed: -1 }) }).toArray()), ok: (r) => assert.deepEqual((r as unknown[])[0], (r as unknown[])[1]) },
  { name: 'Generator seed NaN', run: () => new torch.Generator({ seed: NaN }), error: [/Generator/, /NaN/] },
  { name: 'Generator seed 2^60', run: () => new torch.Generator({ seed: 2 ** 60 }), error: [/Generator/, /1152921504606847000/] },
  { name: 'Generator unknown option', run: () => new torch.Generator(any({ sead: 1 })), error: [/Generator/, /unknown option 'sead'/] },
  { name: 'Generator seed is honoured', run: () => { const a = torch.randn([3], { generator: new torch.Generator({ seed: 42 }) }).toArray(); const b = torch.randn([3], { generator: new torch.Generator({ seed: 42 }) }).toArray(); return [a, b]; }, ok: (r) => assert.deepEqual((r as unknown[])[0], (r as unknown[])[1]) },
  { name: 'manualSeed of a string', run: () => torch.manualSeed(any('1')), error: [/manualSeed/, /"1"/] },
  { name: 'manualSeed(-3)', run: () => torch.manualSeed(-3), error: [/manualSeed/, /-3/] },
  { name: 'Generator.manualSeed(0.5)', run: () => new torch.Generator().manualSeed(0.5), error: [/Generator\.manualSeed/, /0\.5/] },
  { name: 'generator of the wrong type', run: () => torch.randn([2], any({ generator: 42 })), error: [/torch\.randn/, /generator/, /42/] },
  { name: 'multinomial with negative probs', run: () => torch.tensor([-1, 2]).multinomial(1), error: [/multinomial/, /float32\[2\]/, /element < 0/] },
  { name: 'Generator on cuda (CPU build)', run: () => torch.cuda.isAvailable() ? 0 : new torch.Generator({ device: 'cuda' }), error: torch.cuda.isAvailable() ? undefined : [/Generator/, /"cuda"/, /not available/] },
  { name: 'Generator on device gpu', run: () => new torch.Generator({ device: 'gpu' }), error: [/Generator|device/, /gpu/] },
  // ---- ints beyond 2^53 never reach libtorch as different numbers ----
  { name: 'shape 1e300', run: () => torch.zeros([1e300]), error: [/torch\.zeros/, /1e\+300/] },
  { name: 'shape 2^53', run: () => torch.ones([2 ** 53]), error: [/torch\.ones/, /9007199254740992/] },
  { name: 'dim 1e20', run: () => T().sum(1e20), error: [/Tensor\.sum/, /100000000000000000000/] },
  { name: 'select index 2^60', run: () => T().select(0, 2 ** 60), error: [/select/, /1152921504606847000/] },
  { name: 'size("1")', run: () => T().size('1' as never), error: [/size/, /"1"/] },
  { name: 'size(1.5)', run: () => T().size(1.5), error: [/size/, /1\.5/] },
  { name: 'full 300 into uint8', run: () => torch.full([2], 300, { dtype: 'uint8' }), error: [/aten::full/, /300/, /uint8/] },
  { name: 'fill_ 300 into uint8', run: () => torch.zeros([2], { dtype: 'uint8' }).fill_(300), error: [/fill_/, /300/, /uint8/] },
  { name: 'randperm(-1)', run: () => torch.randperm(-1), error: [/randperm/, /-1/] },
  { name: 'linspace steps -1', run: () => torch.linspace(0, 1, -1), error: [/linspace/, /-1/] },
  { name: 'arange step 0', run: () => torch.arange(0, 1, 0), error: [/arange/, /step: 0/] },
  { name: 'normal with std -1', run: () => torch.normal(torch.zeros([2]), -1), error: [/normal/, /-1/] },
  { name: 'unsqueeze dim 2^40', run: () => T().unsqueeze(2 ** 40), error: [/unsqueeze/, /1099511627776/] },
  { name: 'narrow with a negative length', run: () => torch.ones([4]).narrow(0, 1, -1), error: [/narrow/, /-1/] },
  { name: 'multinomial 5 of 3 without replacement', run: () => torch.ones([3]).multinomial(5), error: [/multinomial/, /num_samples: 5/] },
  { name: 'embedding index out of range', run: () => torch.embedding(torch.ones([3, 2]), torch.tensor([5], { dtype: 'int64' })), error: [/embedding/, /out of range/] },
  { name: 'inverse of a singular matrix', run: () => torch.zeros([2, 2]).inverse(), error: [/inverse/, /singular/] },
  // ---- devices ----
  { name: "zeros on cuda (CPU build)", run: () => torch.cuda.isAvailable() ? torch.zeros([1]) : torch.zeros([2], { device: 'cuda' }), error: torch.cuda.isAvailable() ? undefined : [/zeros/, /"cuda"/, /without CUDA/] },
  { name: 'to("cuda") on a CPU build', run: () => torch.cuda.isAvailable() ? torch.zeros([1]) : T().to('cuda'), error: torch.cuda.isAvailable() ? undefined : [/to/, /"cuda"/, /not available/] },
  { name: 'cuda() on a CPU build', run: () => torch.cuda.isAvailable() ? torch.zeros([1]) : T().cuda(), error: torch.cuda.isAvailable() ? undefined : [/"cuda"/, /not available/] },
  { name: 'cuda:7', run: () => torch.ones([1], { device: 'cuda:7' }), error: [/ones/, /"cuda:7"/] },
  { name: "device 'gpu'", run: () => torch.zeros([2], { device: 'gpu' }), error: [/zeros/, /'gpu'/] },
  { name: 'device as number', run: () => torch.zeros([2], any({ device: 0 })), error: [/torch\.zeros/, /'device' got 0/] },
  { name: 'tensor on device tpu', run: () => torch.tensor([1], { device: 'tpu' }), error: [/tpu/] },
  { name: 'randn on cuda has no dispatcher dump', run: () => torch.cuda.isAvailable() ? torch.zeros([1]) : torch.randn([2], { device: 'cuda' }), error: torch.cuda.isAvailable() ? undefined : [/randn/, /"cuda"/, /^(?![\s\S]*Python, FuncTorch)/] },
  { name: 'an op with no kernel for the device is one sentence, no dispatcher dump', run: () => torch.empty([2], { device: 'meta' }).nonzero(), error: [/aten::nonzero\(self: float32\[2\]@meta\)/, /no Meta kernel/, /^(?![\s\S]*only available for these backends)/] },
  { name: 'reading a meta tensor', run: () => torch.empty([2], { device: 'meta' }).sum().item(), error: [/toTypedArray/, /meta/] },
  { name: 'shape of a disposed tensor', run: () => { const t = torch.ones([1]); t.dispose(); return t.shape; }, error: [/disposed|freed/i] },
  // ---- autograd ----
  { name: 'backward of a non-scalar', run: () => torch.ones([2], { requiresGrad: true }).mul(2).backward(), error: [/Tensor\.backward/, /float32\[2\]/, /backward\(\{ gradient \}\)/] },
  { name: 'backward({ gradient }) works as the hint says', run: () => { const x = torch.ones([2], { requiresGrad: true }); x.mul(3).backward({ gradient: torch.onesLike(x) }); return x.grad; }, ok: eq([3, 3]) },
  { name: 'backward(gradient) works as the hint says', run: () => { const x = torch.ones([2], { requiresGrad: true }); x.mul(3).backward(torch.onesLike(x)); return x.grad; }, ok: eq([3, 3]) },
  { name: 'backward with a wrong-shape gradient', run: () => torch.ones([2], { requiresGrad: true }).mul(2).backward(torch.ones([3])), error: [/backward|shape/i, /\[3\]|3/] },
  { name: 'backward with an unknown option', run: () => torch.ones([1], { requiresGrad: true }).mul(2).backward(any({ retain: true })), error: [/Tensor\.backward/, /unknown option 'retain'/] },
  { name: 'backward of a number', run: () => torch.ones([1], { requiresGrad: true }).backward(any(3)), error: [/Tensor\.backward/, /number 3/] },
  { name: 'autograd.backward of a non-scalar', run: () => torch.autograd.backward(torch.ones([2], { requiresGrad: true }).mul(2)), error: [/backward/, /float32\[2\]/, /gradient/] },
  { name: 'backward without requiresGrad', run: () => torch.ones([1]).mul(2).backward(), error: [/does not require grad|grad_fn/] },
  { name: 'grad of an unused input', run: () => { const x = torch.ones([1], { requiresGrad: true }); const y = torch.ones([1], { requiresGrad: true }); return torch.autograd.grad(x.mul(2).sum(), [y]); }, error: [/not have been used|unused|allowUnused/i] },
  // ---- scopes and modes ----
  { name: 'inferenceMode(5)', run: () => torch.inferenceMode(any(5)), error: [/torch\.inferenceMode/, /number 5/] },
  { name: 'scope(null)', run: () => torch.scope(any(null)), error: [/torch\.scope/, /null/] },
  { name: 'noGrad("f")', run: () => torch.noGrad(any('f')), error: [/torch\.noGrad/, /string/] },
  { name: 'inferenceMode of an async fn', run: () => torch.inferenceMode(any(async () => 1)), error: [/inferenceMode/, /synchronous|async/] },
  { name: 'a tensor 12 objects deep survives its scope', run: () => { let v: unknown = torch.ones([2]); for (let i = 0; i < 12; i++) v = i % 2 ? [v] : { v }; const out = torch.scope(() => v); let t: unknown = out; for (let i = 11; i >= 0; i--) t = i % 2 ? (t as unknown[])[0] : (t as { v: unknown }).v; return (t as Tensor).sum().item(); }, ok: (r) => assert.equal(r, 2) },
  { name: 'a tensor made in a scope and returned 20 deep stays alive', run: () => { const out = torch.scope(() => { let v: unknown = torch.full([1], 7); for (let i = 0; i < 20; i++) v = [v]; return v; }); let t: unknown = out; for (let i = 0; i < 20; i++) t = (t as unknown[])[0]; return (t as Tensor).item(); }, ok: (r) => assert.equal(r, 7) },
  { name: 'a returned cycle does not hang', run: () => torch.scope(() => { const a: Record<string, unknown> = { t: torch.ones([1]) }; a.self = a; return a; }), ok: (r) => assert.equal(((r as { t: Tensor }).t).item(), 1) },
  { name: 'a tensor in a returned class instance survives', run: () => { class Box { constructor(readonly t: Tensor, readonly data = new Float32Array(1e5)) {} } return torch.scope(() => new Box(torch.full([1], 5))).t.item(); }, ok: (r) => assert.equal(r, 5) },
  { name: 'a tensor in a returned Set survives', run: () => [...torch.scope(() => new Set([torch.full([1], 3)]))][0]!.item(), ok: (r) => assert.equal(r, 3) },
  { name: 'dispose of deep structures frees all', run: () => { const before = torch.memory().tensors; let v: unknown = torch.ones([1]); for (let i = 0; i < 15; i++) v = { v }; torch.dispose(v); return torch.memory().tensors - before; }, ok: (r) => assert.equal(r, 0) },
  // ---- torch.ops.aten ----
  { name: 'aten.doesNotExist', run: () => torch.ops.aten.doesNotExist!(T()), error: [/torch\.ops\.aten\.doesNotExist/, /aten::does_not_exist/] },
  { name: 'aten typo suggests', run: () => torch.ops.aten.sqrtt!(T()), error: [/aten::sqrtt/, /did you mean/] },
  { name: 'aten camelCase name works', run: () => torch.ops.aten.logSoftmax!(torch.zeros([2]), 0), ok: (r) => assert.ok(Math.abs((r as Tensor).exp().sum().item() - 1) < 1e-6) },
  { name: 'aten with bad args names the operator', run: () => torch.ops.aten.frobenius_norm!(any('x')), error: [/frobenius_norm/, /"x"/] },
  { name: "'then' is not an operator (await safety)", run: () => (torch.ops.aten as Record<string, unknown>).then, ok: (r) => assert.equal(r, undefined) },
  // ---- memory ----
  { name: 'bad_alloc names the bytes', run: () => torch.empty([1e6, 1e6, 1e3]), error: [/empty/, /4000000000000000 bytes|tried to allocate/] },
  { name: 'huge zeros names the size', run: () => torch.zeros([2 ** 31, 2 ** 31]), error: [/zeros/, /2147483648/] },
  // ---- optimizers: a misspelled option must not silently keep the default ----
  { name: 'Adam({ lR })', run: () => new optim.Adam(new nn.Linear(2, 2).parameters(), any({ lR: 0.1 })), error: [/Adam/, /unknown option 'lR'/] },
  { name: 'AdamW({ weight_decay })', run: () => new optim.AdamW(new nn.Linear(2, 2).parameters(), any({ weight_decay: 0.1 })), error: [/AdamW/, /unknown option 'weight_decay'/] },
  { name: 'SGD({ lr, momentun })', run: () => new optim.SGD(new nn.Linear(2, 2).parameters(), any({ lr: 0.1, momentun: 0.9 })), error: [/SGD/, /unknown option 'momentun'/] },
  { name: 'Adam lr -1', run: () => new optim.Adam(new nn.Linear(2, 2).parameters(), { lr: -1 }), error: [/Adam/, /-1/] },
  { name: 'clipGradNorm_ maxNorm -1', run: () => optim.clipGradNorm_(new nn.Linear(2, 2).parameters(), -1), error: [/clipGradNorm_/, /-1/] },
  { name: 'clipGradNorm_ maxNorm NaN', run: () => optim.clipGradNorm_(new nn.Linear(2, 2).parameters(), NaN), error: [/clipGradNorm_/, /NaN/] },
  { name: 'Linear with a fractional size', run: () => new nn.Linear(2.5, 2), error: [/empty/, /2\.5/] },
  { name: 'Linear on the wrong width', run: () => new nn.Linear(3, 2).forward(torch.ones([4, 5])), error: [/linear/, /float32\[4, 5\]/, /4x5 and 3x2/] },
  { name: 'loadStateDict of a wrong shape', run: () => new nn.Linear(2, 2).loadStateDict({ weight: torch.ones([3, 3]), bias: torch.ones([2]) }), error: [/loadStateDict/, /'weight'/, /\[3, 3\]/] },
  { name: 'setNumThreads(0)', run: () => torch.setNumThreads(0), error: [/setNumThreads/, /0/] },
];

test(`engine: ${cases.length} bad-input cases give errors naming the operator and value, or the right result`, async () => {
  assert.deepEqual(await runTable(cases, (f) => torch.scope(f)), []);
});

test('the process is healthy after all the errors (no leaked tensors from failed calls)', () => {
  const before = torch.memory().tensors;
  for (let i = 0; i < 50; i++) {
    for (const f of [() => torch.zeros([2], { dtype: 'float128' as never }), () => torch.randint(5, 10), () => torch.ones([2]).matmul(torch.ones([3]))]) {
      torch.scope(() => {
        try {
          f();
        } catch {
          /* expected */
        }
      });
    }
  }
  assert.equal(torch.memory().tensors, before);
  assert.equal(torch.ones([3]).dot(torch.ones([3])).item(), 3);
});

export const ENGINE_CASES = cases.length;
