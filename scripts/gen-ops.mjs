#!/usr/bin/env node
// Generates src/tensor/ops.generated.ts from the operator schemas of the libtorch the addon links.
// The list of exposed operators is below (OPS); everything else stays reachable as torch.ops.aten.<name>.
//   node scripts/gen-ops.mjs            (writes the file)
//   node scripts/gen-ops.mjs --check    (exits 1 when the committed file is out of date)
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const N = require(join(root, 'native', 'build', 'Release', 'genlab.node'));

// Operators exposed with types, as torch.<name> and (when the first argument is `self`) as Tensor methods.
// linalg_* and special_* go to torch.linalg / torch.special without their prefix.
const OPS = `
to empty zeros ones full rand randn randint arange linspace logspace eye randperm scalar_tensor
zeros_like ones_like full_like rand_like randn_like randint_like empty_like normal bernoulli multinomial poisson
view reshape flatten unflatten squeeze unsqueeze permute transpose t contiguous expand expand_as repeat
repeat_interleave narrow select slice chunk split split_with_sizes tensor_split unbind cat stack hstack vstack
flip roll movedim diag diagonal diag_embed tril triu masked_fill masked_select index_select gather scatter
scatter_add scatter_reduce index_add index_copy index_fill index put take where clamp clamp_min clamp_max one_hot
topk sort argsort cumsum cumprod logcumsumexp cummax nonzero argmax argmin max min maximum minimum clone detach
type_as view_as reshape_as constant_pad_nd pad pixel_shuffle pixel_unshuffle broadcast_to broadcast_tensors
meshgrid tile unique_consecutive bucketize searchsorted histc bincount
add sub mul div true_divide floor_divide neg abs exp exp2 expm1 log log1p log2 log10 sqrt rsqrt pow square
sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh sigmoid logit relu relu6 gelu silu mish
softplus elu selu celu leaky_relu hardtanh hardsigmoid hardswish log_sigmoid erf erfc erfinv sign sgn floor
ceil round trunc frac reciprocal lerp addcmul addcdiv remainder fmod eq ne lt le gt ge equal allclose isclose
logical_and logical_or logical_not logical_xor bitwise_and bitwise_or bitwise_not isnan isinf isfinite
nan_to_num logaddexp xlogy lgamma digamma polygamma mvlgamma i0 sinc hypot heaviside
sum nansum mean nanmean prod std var std_mean var_mean logsumexp norm amax amin aminmax all any median
nanmedian mode count_nonzero dist cdist cov corrcoef
matmul mm bmm mv dot vdot outer addmm addmv addbmm baddbmm einsum slogdet logdet det inverse triangular_solve
cholesky cholesky_solve cholesky_inverse qr svd lu_unpack matrix_exp trace kron tensordot cross
linalg_slogdet linalg_det linalg_inv linalg_solve linalg_solve_triangular linalg_lu_factor linalg_lu
linalg_lu_solve linalg_qr linalg_cholesky linalg_eigh linalg_eigvalsh linalg_svd linalg_svdvals
linalg_vector_norm linalg_matrix_norm linalg_norm linalg_matrix_exp linalg_pinv linalg_cross
special_expit special_logit special_erfcx special_ndtr special_ndtri special_log_ndtr special_xlog1py
special_entr special_logsumexp special_gammaln special_i0e special_i1 special_i1e
conv1d conv2d conv3d conv_transpose1d conv_transpose2d max_pool1d max_pool2d avg_pool1d avg_pool2d
adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool2d upsample_nearest2d upsample_bilinear2d
upsample_bicubic2d linear bilinear layer_norm group_norm batch_norm instance_norm embedding dropout
feature_dropout alpha_dropout softmax log_softmax cross_entropy_loss nll_loss mse_loss l1_loss
binary_cross_entropy binary_cross_entropy_with_logits smooth_l1_loss huber_loss kl_div glu
grid_sampler affine_grid_generator reflection_pad1d reflection_pad2d replication_pad1d replication_pad2d
cosine_similarity pairwise_distance pdist cosine_embedding_loss margin_ranking_loss soft_margin_loss
poisson_nll_loss gaussian_nll_loss native_layer_norm scaled_dot_product_attention im2col col2im
channel_shuffle native_dropout prelu rrelu hinge_embedding_loss triplet_margin_loss
add_ sub_ mul_ div_ zero_ fill_ copy_ normal_ uniform_ bernoulli_ exponential_ random_ clamp_ clamp_min_
clamp_max_ addcmul_ addcdiv_ lerp_ sqrt_ exp_ log_ neg_ abs_ masked_fill_ index_put_ scatter_ scatter_add_
index_add_ index_copy_ index_fill_ relu_ sigmoid_ tanh_ pow_ addmm_ baddbmm_ fill_diagonal_ tril_ triu_
squeeze_ unsqueeze_ t_ transpose_ resize_ set_ detach_ requires_grad_ retain_grad floor_ ceil_ round_
reciprocal_ sign_ erfinv_ uniform_ log_normal_ cauchy_ geometric_ nan_to_num_ copysign
_foreach_add _foreach_add_ _foreach_sub _foreach_sub_ _foreach_mul _foreach_mul_ _foreach_div _foreach_div_
_foreach_addcmul _foreach_addcmul_ _foreach_addcdiv _foreach_addcdiv_ _foreach_sqrt _foreach_sqrt_
_foreach_neg _foreach_neg_ _foreach_zero_ _foreach_norm _foreach_maximum _foreach_minimum _foreach_lerp
_foreach_lerp_ _foreach_exp _foreach_abs _foreach_reciprocal_ _foreach_sign
`.trim().split(/\s+/);

// Names the handwritten Tensor class defines itself (tensor.ts); not generated as methods.
const HANDWRITTEN = new Set(['to', 'type', 'item', 'backward', 'grad', 'shape', 'size', 'dim', 'numel', 'dtype',
  'device', 'float', 'double', 'long', 'int', 'bool', 'half', 'cpu', 'cuda', 'toString', 'requires_grad_',
  'retain_grad', 'detach_', 'set_']);

const KIND = { 'Tensor': 0, 'Tensor[]': 1, 'Tensor?[]': 2, 'int': 3, 'int[]': 4, 'float': 5, 'float[]': 6,
  'bool': 7, 'bool[]': 8, 'Scalar': 9, 'dtype': 10, 'layout': 11, 'memory_format': 12, 'Device': 13, 'str': 14,
  'Generator': 15, 'Scalar[]': 16 };
const TS_TYPE = ['Tensor', 'Tensor[]', '(Tensor | null)[]', 'number', 'number | number[]', 'number', 'number[]',
  'boolean', 'boolean[]', 'number | boolean', 'DType', "'strided'", 'MemoryFormat', 'DeviceLike', 'string',
  'Generator', 'number[]'];

export const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
function jsName(op) {
  const trailing = op.endsWith('_') && !op.startsWith('_foreach') ? '_' : '';
  const base = trailing ? op.slice(0, -1) : op;
  if (base.startsWith('_foreach_')) {
    const inplace = base.endsWith('_');
    const core = inplace ? base.slice('_foreach_'.length, -1) : base.slice('_foreach_'.length);
    return '_foreach' + camel(core).replace(/^./, (c) => c.toUpperCase()) + (inplace ? '_' : '');
  }
  return camel(base) + trailing;
}

const all = N.allSchemas();
const byBase = new Map();
for (const s of all) {
  const full = s.slice(0, s.indexOf('('));
  const base = full.split('.')[0].replace(/^aten::/, '');
  if (!full.startsWith('aten::')) continue;
  if (!byBase.has(base)) byBase.set(base, []);
  byBase.get(base).push(full);
}

function returnCode(info) {
  if (info.aliasReturnArg >= 0) return `a${info.aliasReturnArg}`;
  const r = info.returns;
  if (r.length === 0) return 'v';
  if (r.length === 1) {
    if (r[0] === 'Tensor') return 't';
    if (r[0] === 'Tensor[]') return 'tl';
    if (r[0] === 'bool') return 'b';
    if (['int', 'float', 'Scalar', 'SymInt', 'number'].includes(r[0])) return 'n';
    return 'x';
  }
  return r.every((x) => x === 'Tensor') ? `tt` : 'x';
}
const RET_TS = { t: 'Tensor', tl: 'Tensor[]', b: 'boolean', n: 'number', v: 'void', x: 'unknown' };

const table = {};
const methodSigs = [];
const fnSigs = { torch: [], linalg: [], special: [] };
const missing = [];
for (const op of OPS) {
  const fulls = (byBase.get(op) ?? []).filter((f) => !/(^|_)out$|\.out$|_out$|names|Dimname|dimname/.test(f.split('.')[1] ?? ''));
  if (fulls.length === 0) {
    missing.push(op);
    continue;
  }
  const overloads = [];
  for (const full of fulls) {
    const [id] = N.lookupOps([full]);
    const info = N.opInfo(id);
    if (info.args.some((a) => a.kind === 'unsupported' || a.kind === 'str' && /dim/.test(a.name))) continue;
    if (info.schema.includes('Dimname')) continue;
    // out= variants: keyword-only tensors written in place
    if (/\*.*Tensor\([a-z]!\)/.test(info.schema.slice(0, info.schema.indexOf(') ->')))) continue;
    overloads.push({ full, info });
  }
  if (!overloads.length) {
    missing.push(op);
    continue;
  }
  // Order: fewest required positional arguments first, then Tensor-taking overloads before Scalar ones.
  const required = (o) => o.info.args.filter((a) => !a.kwargOnly && !a.hasDefault && !a.optional).length;
  const scalarish = (o) => o.info.args.filter((a) => a.kind === 'Scalar').length;
  overloads.sort((a, b) => required(a) - required(b) || scalarish(a) - scalarish(b));
  const entries = overloads.map(({ full, info }) => [
    full,
    info.args.map((a) => [camel(a.name), KIND[a.kind], (a.optional ? 1 : 0) | (a.hasDefault ? 2 : 0) | (a.kwargOnly ? 4 : 0)]),
    returnCode(info),
  ]);
  table[op] = entries;
  let ns = 'torch', fname = jsName(op);
  if (op.startsWith('linalg_')) { ns = 'linalg'; fname = camel(op.slice(7)); }
  else if (op.startsWith('special_')) { ns = 'special'; fname = camel(op.slice(8)); }
  const sigs = (skipSelf) => {
    const out = new Set();
    for (const [full, args, ret] of entries) {
      if (skipSelf && !(args[0]?.[0] === 'self' && args[0][1] === 0)) continue;
      const params = [];
      const opts = [];
      const start = skipSelf ? 1 : 0;
      for (let i = start; i < args.length; i++) {
        const [name, kind, flags] = args[i];
        const t = TS_TYPE[kind] + (flags & 1 ? ' | null' : '');
        if (flags & 4) opts.push(`${name}?: ${t}`);
        else params.push({ name, t, opt: (flags & 3) !== 0 });
      }
      // Factories take PyTorch's requires_grad keyword (applied to the result by the dispatcher).
      if (ret === 't' && args.some((a) => a[0] === 'dtype' && a[2] & 4) && args.some((a) => a[0] === 'device')) opts.push('requiresGrad?: boolean');
      let r = ret.startsWith('a') ? (skipSelf && ret === 'a0' ? 'this' : 'Tensor') : ret === 'tt' ? `[${Array(N.opInfo(N.lookupOps([full])[0]).returns.length).fill('Tensor').join(', ')}]` : RET_TS[ret];
      if (ret.startsWith('a') && args[+ret.slice(1)]?.[1] === 1) r = 'void';
      // TypeScript needs optional parameters last; a required one after an optional one makes all before it required.
      let lastReq = -1;
      params.forEach((p, i) => { if (!p.opt) lastReq = i; });
      // Form 1: every positional parameter, then an options object naming any optional one.
      const named = params.filter((p) => p.opt).map((p) => `${p.name}?: ${p.t}`).concat(opts);
      const ps = params.map((p, i) => `${p.name}${p.opt && i > lastReq ? '?' : ''}: ${p.t}${p.opt && i <= lastReq ? ' | undefined' : ''}`);
      if (named.length) ps.push(`options?: { ${named.join('; ')} }`);
      out.add(`(${ps.join(', ')}): ${r}`);
      // Form 2: the first k parameters, then an options object for the rest (x.sum(1, { keepdim: true })).
      for (let k = lastReq + 1; k < params.length; k++) {
        const ps2 = params.slice(0, k).map((p, i) => `${p.name}${p.opt && i >= k - 1 && i > lastReq ? '?' : ''}: ${p.t}${p.opt && !(i >= k - 1 && i > lastReq) ? ' | undefined' : ''}`);
        ps2.push(`options?: { ${params.slice(k).map((p) => `${p.name}?: ${p.t}`).concat(opts).join('; ')} }`);
        out.add(`(${ps2.join(', ')}): ${r}`);
      }
    }
    return [...out];
  };
  const firstIsSelf = entries.some((e) => e[1][0]?.[0] === 'self' && e[1][0][1] === 0);
  if (firstIsSelf && !HANDWRITTEN.has(op) && ns === 'torch') {
    for (const s of sigs(true)) methodSigs.push(`  ${jsName(op)}${s};`);
  }
  for (const s of sigs(false)) fnSigs[ns].push(`  ${fname}${s};`);
  table[op] = { ns, name: fname, method: firstIsSelf && !HANDWRITTEN.has(op) && ns === 'torch' ? jsName(op) : null, overloads: entries };
}

const header = `// GENERATED by scripts/gen-ops.mjs from the operator schemas of libtorch ${N.buildInfo().torchVersion}. Do not edit.
// Regenerate with \`npm run gen\` after changing the operator list in the script.
/* eslint-disable */
import type { Tensor } from './tensor.ts';
import type { DType, MemoryFormat, DeviceLike } from './dtype.ts';
import type { Generator } from './generator.ts';

/** [name, kind, flags(1 optional, 2 has default, 4 keyword-only)] */
export type ArgSpec = [string, number, number];
/** [operator, arguments, return code] */
export type OverloadSpec = [string, ArgSpec[], string];
export interface OpSpec { ns: 'torch' | 'linalg' | 'special'; name: string; method: string | null; overloads: OverloadSpec[] }
`;
const body = `
export const OP_TABLE: Record<string, OpSpec> = ${JSON.stringify(table)};

/** Operator methods of Tensor (generated). */
export interface TensorOps {
${methodSigs.join('\n')}
}

/** Operator functions of the torch namespace (generated). */
export interface TorchOps {
${fnSigs.torch.join('\n')}
}

/** torch.linalg (generated). */
export interface LinalgOps {
${fnSigs.linalg.join('\n')}
}

/** torch.special (generated). */
export interface SpecialOps {
${fnSigs.special.join('\n')}
}
`;
const out = join(root, 'src', 'tensor', 'ops.generated.ts');
const text = header + body;
if (process.argv.includes('--check')) {
  const cur = existsSync(out) ? readFileSync(out, 'utf8') : '';
  if (cur !== text) {
    console.error('src/tensor/ops.generated.ts is out of date: run npm run gen');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.error(`wrote ${out}: ${Object.keys(table).length} operators, ${methodSigs.length} method signatures` +
    (missing.length ? `; not in this libtorch: ${missing.join(' ')}` : ''));
}
