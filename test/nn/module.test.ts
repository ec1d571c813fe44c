/** Module: registration and names, state dicts and their errors, to(), modes, zeroGrad, dispose. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import * as nn from '../../src/nn/index.ts';

class Block extends nn.Module {
  readonly lin: nn.Linear;
  readonly norm: nn.BatchNorm2d;
  scale: Tensor;
  constructor() {
    super();
    this.lin = this.registerModule('lin', new nn.Linear(3, 4));
    this.norm = this.registerModule('norm', new nn.BatchNorm2d(2));
    this.scale = this.registerParameter('scale', torch.ones([4]));
  }
  forward(x: Tensor): Tensor {
    return this.lin.forward(x).mul(this.scale);
  }
}
class Net extends nn.Module {
  readonly blocks = this.registerModule('blocks', new nn.ModuleList([new Block(), new Block()]));
  readonly head = this.registerModule('head', new nn.Sequential(new nn.Linear(4, 2), new nn.Tanh()));
  forward(x: Tensor): Tensor {
    for (const b of this.blocks) x = b.forward(x.narrow(-1, 0, 3));
    return this.head.forward(x);
  }
}

test('parameters, buffers and children get PyTorch dotted names in registration order', () => {
  torch.manualSeed(0);
  const before = torch.memory();
  const net = new Net();
  // As PyTorch: a module's own parameters first, then its children's.
  assert.deepEqual(net.namedParameters().map(([n]) => n), [
    'blocks.0.scale', 'blocks.0.lin.weight', 'blocks.0.lin.bias', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
    'blocks.1.scale', 'blocks.1.lin.weight', 'blocks.1.lin.bias', 'blocks.1.norm.weight', 'blocks.1.norm.bias',
    'head.0.weight', 'head.0.bias',
  ]);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), [
    'blocks.0.norm.running_mean', 'blocks.0.norm.running_var', 'blocks.0.norm.num_batches_tracked',
    'blocks.1.norm.running_mean', 'blocks.1.norm.running_var', 'blocks.1.norm.num_batches_tracked',
  ]);
  assert.equal(Object.keys(net.stateDict()).length, 18);
  assert.equal(net.numParameters(), 2 * (12 + 4 + 2 + 2 + 4) + 8 + 2);
  for (const p of net.parameters()) {
    assert.equal(p.requiresGrad, true);
    assert.equal(p.isLeaf, true);
  }
  assert.equal(net.modules().length, 1 + 1 + 2 * 3 + 1 + 2);
  // Parameters are kept: they survive a scope that ends.
  torch.scope(() => {
    net.forward(torch.randn([5, 3]));
  });
  assert.equal(net.parameters()[0]!.isDisposed, false);
  net.dispose();
  assert.deepEqual(torch.memory(), before, 'dispose frees every parameter and buffer');
  assert.throws(() => net.parameters()[0]!.add(1), /dispos|freed/i);
});

test('registration errors: bad names, name clashes, non-leaf parameters', () => {
  const m = new nn.Linear(2, 2);
  torch.scope(() => {
    assert.throws(() => m.registerParameter('a.b', torch.zeros([1])), /without '\.'/);
    assert.throws(() => m.registerBuffer('weight', torch.zeros([1])), /already registered as a parameter/);
    const leaf = torch.ones([2]).requiresGrad_();
    assert.throws(() => m.registerParameter('w2', leaf.mul(2)), /not a leaf/);
  });
  m.dispose();
});

test('stateDict round trip: loadStateDict copies values into another model', () => {
  torch.manualSeed(1);
  const a = new Net();
  torch.manualSeed(2);
  const b = new Net();
  const x = torch.randn([4, 3]);
  torch.scope(() => a.forward(torch.randn([2, 3]))); // a forward does not change state (Linear only)
  torch.noGrad(() => a.blocks.at(0).norm.runningMean!.fill_(0.25));
  assert.notDeepEqual(torch.scope(() => a.forward(x).toFlatArray()), torch.scope(() => b.forward(x).toFlatArray()));
  const res = b.loadStateDict(a.stateDict());
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(torch.scope(() => b.forward(x).toFlatArray()), torch.scope(() => a.forward(x).toFlatArray()));
  assert.deepEqual(b.blocks.at(0).norm.runningMean!.toFlatArray(), [0.25, 0.25]);
  // Values were copied, not shared.
  assert.notEqual(b.parameters()[0], a.parameters()[0]);
  // A Map works too: scramble b, load a's values from a Map, and b computes a's function again.
  torch.noGrad(() => b.parameters().forEach((p) => p.fill_(0.5)));
  assert.notDeepEqual(torch.scope(() => b.forward(x).toFlatArray()), torch.scope(() => a.forward(x).toFlatArray()));
  assert.deepEqual(b.loadStateDict(new Map(Object.entries(a.stateDict()))), { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(torch.scope(() => b.forward(x).toFlatArray()), torch.scope(() => a.forward(x).toFlatArray()));
  a.dispose();
  b.dispose();
  x.dispose();
});

test('loadStateDict errors name missing and unexpected keys, shape and dtype mismatches', () => {
  const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
  torch.scope(() => {
    const sd = { ...m.stateDict() };
    delete sd['2.bias'];
    sd['2.extra'] = torch.zeros([1]);
    assert.throws(() => m.loadStateDict(sd), (e: Error) => /missing keys: '2\.bias'/.test(e.message) && /unexpected keys: '2\.extra'/.test(e.message));
    const r = m.loadStateDict(sd, { strict: false });
    assert.deepEqual(r, { missingKeys: ['2.bias'], unexpectedKeys: ['2.extra'] });
    // Every failed load below also carries well-formed new values (all 7) for the other keys: a failed load
    // must write none of them, nor cast the mismatched tensor into place.
    const snapshot = () => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, { dtype: t.dtype, values: t.toFlatArray() }]));
    const before = snapshot();
    const sevens = () => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, torch.fullLike(t, 7)]));
    const bad = { ...sevens(), '2.bias': torch.zeros([2]) };
    assert.throws(() => m.loadStateDict(bad), /size mismatch for '2\.bias': the module has \[1\], the state dict \[2\]/);
    assert.throws(() => m.loadStateDict(bad, { strict: false }), /size mismatch/);
    assert.deepEqual(snapshot(), before, 'a load failing on its size check wrote nothing');
    const badType = { ...sevens(), '0.bias': torch.full([3], 7, { dtype: 'float64' }) };
    assert.throws(() => m.loadStateDict(badType), /dtype mismatch for '0\.bias': the module has float32, the state dict float64/);
    assert.deepEqual(snapshot(), before, 'a load failing on its dtype check wrote nothing, the float32 bias kept its values');
    const badMissing = sevens();
    delete badMissing['2.weight'];
    assert.throws(() => m.loadStateDict(badMissing), /missing keys: '2\.weight'/);
    assert.deepEqual(snapshot(), before, 'a load failing on a missing key wrote nothing');
    // The same values, well formed, do load.
    m.loadStateDict(sevens());
    assert.ok(Object.values(m.stateDict()).every((t) => t.toFlatArray().every((v) => v === 7)));
  });
  m.dispose();
});

test('to(dtype) converts floating parameters and buffers in place (same objects, new data; the old data freed)', () => {
  const before = torch.memory();
  const m = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
  const oldW = (m.at(0) as nn.Conv2d).weight;
  const oldVals = oldW.toFlatArray();
  m.to('float64');
  const conv = m.at(0) as nn.Conv2d;
  const bn = m.at(1) as nn.BatchNorm2d;
  assert.equal(conv.weight.dtype, 'float64');
  assert.equal(conv.weight, m.stateDict()['0.weight'], 'the field follows the registry');
  assert.equal(bn.runningMean!.dtype, 'float64');
  assert.equal(bn.numBatchesTracked!.dtype, 'int64', 'integer buffers keep their dtype');
  assert.equal(conv.weight.requiresGrad, true);
  assert.equal(oldW, conv.weight, 'the parameter stays the same object (PyTorch: param.data = ...)');
  assert.ok(!oldW.isDisposed);
  assertCloseArr(conv.weight.toFlatArray(), oldVals, 1e-7);
  torch.scope(() => {
    const y = m.forward(torch.randn([2, 1, 5, 5], { dtype: 'float64' }));
    assert.equal(y.dtype, 'float64');
    y.sum().backward();
  });
  torch.scope(() => assert.ok(conv.weight.grad));
  m.zeroGrad();
  assert.equal(conv.weight.grad, null);
  m.to({ dtype: 'float32' });
  assert.equal(conv.weight.dtype, 'float32');
  assert.throws(() => m.to('int64'), /floating/);
  m.dispose();
  assert.deepEqual(torch.memory(), before);
});

function assertCloseArr(a: number[], b: number[], tol: number): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol, `[${i}] ${x} vs ${b[i]}`));
}

test('train()/eval() set the mode recursively; Dropout follows it', () => {
  torch.manualSeed(0);
  const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.5));
  assert.equal(m.training, true);
  m.eval();
  assert.ok(m.modules().every((c) => !c.training));
  torch.scope(() => {
    const x = torch.ones([64, 4]);
    const lin = m.at(0).forward(x);
    assert.deepEqual(m.forward(x).toFlatArray(), lin.toFlatArray(), 'eval dropout is the identity');
    m.train();
    assert.ok(m.modules().every((c) => c.training));
    const y = m.at(1).forward(x);
    const vals = y.toFlatArray();
    assert.ok(vals.every((v) => v === 0 || v === 2), 'kept elements are scaled by 1/(1-p)');
    const zeros = vals.filter((v) => v === 0).length / vals.length;
    assert.ok(zeros > 0.35 && zeros < 0.65, `dropout rate ${zeros}`);
  });
  m.dispose();
});

test('requiresGrad_(false) freezes; toString prints the tree', () => {
  const m = new nn.MLP({ sizes: [2, 8, 1] });
  m.requiresGrad_(false);
  assert.ok(m.parameters().every((p) => !p.requiresGrad));
  assert.equal(m.numParameters({ trainableOnly: true }), 0);
  assert.equal(m.numParameters(), 2 * 8 + 8 + 8 + 1);
  assert.match(String(m), /MLP\(\n {2}\(net\): Sequential\(\n {4}\(0\): Linear\(inFeatures=2, outFeatures=8, bias=true\)/);
  m.dispose();
});
