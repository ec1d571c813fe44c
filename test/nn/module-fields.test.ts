/**
 * PyTorch's attribute habits on nn.Module: fields holding modules, nn.Parameter / nn.Buffer marked
 * tensors, arrays of modules or parameters and ModuleLists are registered with PyTorch's state-dict
 * names (checked against the same tree written in PyTorch, bench/reference/module_fields.py, which
 * also loads genlab's weights with load_state_dict(strict=True) and must give the same outputs);
 * to('float64'), loadStateDict and dispose work through them; modules holding direct references to
 * their tensors (flow conditioners) survive to('float64').
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { torch, type Tensor } from '../../src/tensor/index.ts';
import * as nn from '../../src/nn/index.ts';
import { Adam } from '../../src/optim/index.ts';
import { MLP as FlowMLP, ConvNet } from '../../src/models/flows/nets.ts';
import { PYTHON, assertClose, readRaw, skipWithoutTorch, writeRaw } from './helpers.ts';

const SCRIPT = join(import.meta.dirname, '..', '..', 'bench', 'reference', 'module_fields.py');

class Block extends nn.Module {
  fc = new nn.Linear(4, 4);
  scale = new nn.Parameter(torch.ones([4]));
  mean = new nn.Buffer(torch.zeros([4]));
  tmp = new nn.Buffer(torch.zeros([1]), { persistent: false });
  forward(x: Tensor): Tensor {
    return this.fc.forward(x.sub(this.mean)).mul(this.scale);
  }
}

class Net extends nn.Module {
  embed = new nn.Linear(3, 4);
  blocks = [new Block(), new Block()];
  heads = new nn.ModuleList([new nn.Linear(4, 2)]);
  gains = [nn.Parameter(torch.ones([2])), nn.Parameter(torch.full([2], 2))];
  bias = nn.Parameter(torch.zeros([2]));
  forward(x: Tensor): Tensor {
    let h = this.embed.forward(x);
    for (const b of this.blocks) h = b.forward(h).tanh();
    return this.heads.at(0).forward(h).mul(this.gains[0]!).mul(this.gains[1]!).add(this.bias);
  }
}

const PYTORCH_KEYS = [
  'bias', 'embed.weight', 'embed.bias',
  'blocks.0.scale', 'blocks.0.mean', 'blocks.0.fc.weight', 'blocks.0.fc.bias',
  'blocks.1.scale', 'blocks.1.mean', 'blocks.1.fc.weight', 'blocks.1.fc.bias',
  'heads.0.weight', 'heads.0.bias', 'gains.0', 'gains.1',
];

test('fields holding modules, Parameters, Buffers, arrays and ModuleLists are registered with PyTorch names', () => {
  const before = torch.memory();
  torch.manualSeed(0);
  const net = new Net();
  assert.deepEqual(Object.keys(net.stateDict()), PYTORCH_KEYS);
  assert.equal(net.parameters().length, 13);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), ['blocks.0.mean', 'blocks.0.tmp', 'blocks.1.mean', 'blocks.1.tmp']);
  assert.ok(net.bias instanceof nn.Parameter && !(net.blocks[0]!.mean instanceof nn.Parameter));
  assert.ok(net.blocks[0]!.mean instanceof nn.Buffer);
  assert.equal(net.bias.requiresGrad, true);
  const frozen = nn.Parameter(torch.ones([1]), false);
  assert.equal(frozen.requiresGrad, false);
  frozen.dispose();
  // Training sees them: an optimizer over parameters() moves every one.
  const opt = new Adam(net.parameters(), { lr: 0.1 });
  const w0 = net.blocks[1]!.scale.toFlatArray();
  torch.scope(() => {
    net.forward(torch.randn([5, 3])).square().sum().backward();
    opt.step();
  });
  assert.notDeepEqual(net.blocks[1]!.scale.toFlatArray(), w0);
  // Re-assigning a field re-registers it (and frees the replaced parameter, which nothing holds).
  const old = net.bias;
  net.bias = nn.Parameter(torch.ones([2]));
  assert.equal(net.stateDict()['bias'], net.bias);
  assert.ok(old.isDisposed);
  // An array that grows is seen at the next traversal.
  net.blocks.push(new Block());
  assert.ok('blocks.2.fc.weight' in net.stateDict());
  net.blocks.pop()!.dispose();
  assert.ok(!('blocks.2.fc.weight' in net.stateDict()));
  // The module tree prints through console.log (util.inspect).
  const printed = inspect(net);
  assert.match(printed, /^Net\(\n {2}\(embed\): Linear\(inFeatures=3, outFeatures=4, bias=true\)\n {2}\(blocks\): ModuleList\(\n {4}\(0\): Block\(\n/);
  opt.dispose();
  net.dispose();
  assert.deepEqual(torch.memory(), before, 'dispose frees field-registered tensors');
});

test('field-registered state dicts round-trip through PyTorch load_state_dict (strict) with equal outputs', { skip: skipWithoutTorch(), timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'genlab-fields-'));
  try {
    torch.scope(() => {
      torch.manualSeed(1);
      const net = new Net();
      torch.noGrad(() => {
        for (const p of net.parameters()) p.copy_(torch.randn(p.shape));
        net.blocks[1]!.mean.copy_(torch.randn([4]));
      });
      const x = torch.randn([6, 3]);
      writeRaw(join(dir, 'weights'), net.stateDict());
      writeRaw(join(dir, 'input'), { x });
      const r = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      assert.equal(r.status, 0, r.stderr);
      const keys = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { keys: string[] }).keys;
      assert.deepEqual(keys, PYTORCH_KEYS, 'PyTorch spells the same tree with the same keys in the same order');
      const y = torch.noGrad(() => net.forward(x));
      assertClose(y, readRaw(join(dir, 'out')).y!, { atol: 1e-5, rtol: 1e-5 }, 'forward');
      // And back: PyTorch's outputs from a genlab model loaded from genlab's own state dict in float64.
      const net2 = new Net();
      net2.loadStateDict(net.stateDict());
      net2.to('float64');
      assertClose(torch.noGrad(() => net2.forward(x.double())), y, { atol: 1e-5, rtol: 1e-5 }, 'float64 copy');
      net.dispose();
      net2.dispose();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("to('float64') keeps every holder of a parameter working: flow conditioners, optimizers, fields", () => {
  const before = torch.memory();
  torch.manualSeed(2);
  // (built in a scope: their initializers leave temporaries)
  const mlp = torch.scope(() => new FlowMLP(2, 4, { hidden: [8], zeroInit: false }));
  const conv = torch.scope(() => new ConvNet(2, 4, { hidden: 8, zeroInit: false }));
  const net = new Net();
  const opt = new Adam(net.parameters(), { lr: 0.01 });
  for (const m of [mlp, conv, net]) m.to('float64');
  torch.scope(() => {
    const a = mlp.forward(torch.randn([3, 2], { dtype: 'float64' }));
    assert.equal(a.dtype, 'float64');
    const b = conv.forward(torch.randn([1, 2, 4, 4], { dtype: 'float64' }));
    assert.deepEqual(b.shape, [1, 4, 4, 4]);
    const c = net.forward(torch.randn([3, 3], { dtype: 'float64' }));
    assert.equal(c.dtype, 'float64');
    c.sum().backward();
    opt.step();
  });
  // Casting back round-trips the values.
  const v = mlp.parameters()[0]!.toFlatArray();
  mlp.to('float32');
  assertClose(mlp.parameters()[0]!.toFlatArray(), v, { atol: 1e-6, rtol: 1e-6 });
  opt.dispose();
  for (const m of [mlp, conv, net]) m.dispose();
  assert.deepEqual(torch.memory(), before);
});

test('explicit registration and fields agree; aliases and cycles are not registered twice', () => {
  class Tied extends nn.Module {
    emb = new nn.Linear(4, 4);
    head: nn.Linear;
    parent: nn.Module | null = null;
    constructor() {
      super();
      this.head = this.registerModule('out', new nn.Linear(4, 4)); // field name differs: the explicit name wins
    }
    forward(x: Tensor): Tensor {
      return this.head.forward(this.emb.forward(x));
    }
  }
  const m = new Tied();
  m.parent = m; // a back-reference to itself is not a child
  assert.deepEqual(m.namedChildren ? [...m.namedChildren()].map(([n]) => n) : [], ['out', 'emb']);
  assert.deepEqual(Object.keys(m.stateDict()), ['out.weight', 'out.bias', 'emb.weight', 'emb.bias']);
  m.dispose();
});
