import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.ts';

const row = (p: { byName(): { name: string; count: number; selfUs: number; totalUs: number }[] }, name: string) => p.byName().find((e) => e.name === name);

test('torch.profiler counts every ATen operator the function calls, forward and backward', () => {
  torch.scope(() => {
    const x = torch.randn([8, 3]).requiresGrad_();
    const w = torch.randn([3, 5]);
    const p = torch.profiler.profile(() =>
      torch.scope(() => {
        for (let i = 0; i < 3; i++) x.add(x);
        for (let i = 0; i < 2; i++) x.mul(x);
        x.mm(w).relu().sum().backward();
      }),
    );
    assert.equal(row(p, 'aten::add')?.count, 3);
    assert.equal(row(p, 'aten::mul')?.count, 2);
    assert.equal(row(p, 'aten::mm')?.count, 2, 'forward mm and the input gradient mm');
    assert.equal(row(p, 'aten::threshold_backward')?.count, 1);
    for (const node of ['SumBackward0', 'ReluBackward0', 'MmBackward0']) assert.equal(row(p, node)?.count, 1, node);
    for (const e of p.events) {
      assert.ok(e.selfUs >= 0 && e.selfUs <= e.totalUs + 1e-9, `${e.name}: self ${e.selfUs} total ${e.totalUs}`);
    }
    // the backward node's total contains its kernel
    assert.ok(row(p, 'ReluBackward0')!.totalUs >= row(p, 'aten::threshold_backward')!.totalUs);
    assert.ok(p.opUs <= p.wallUs && p.selfUs <= p.wallUs + 1);
    assert.match(p.table({ rowLimit: 5 }), /aten::/);
  });
});

test('torch.profiler records input shapes on request, and user ranges as rows of their own', () => {
  torch.scope(() => {
    const a = torch.randn([4, 3]);
    const b = torch.randn([3, 5]);
    const p = torch.profiler.profile(() => torch.profiler.recordFunction('my step', () => a.mm(b)), { recordShapes: true });
    const mm = p.events.find((e) => e.name === 'aten::mm');
    assert.equal(mm?.shapes, '[[4, 3], [3, 5]]');
    const mine = p.events.find((e) => e.name === 'my step');
    assert.equal(mine?.count, 1);
    assert.ok(mine!.totalUs >= mm!.totalUs, 'the range contains the operator');
    const plain = torch.profiler.profile(() => a.mm(b));
    assert.equal(plain.events.find((e) => e.name === 'aten::mm')?.shapes, '');
  });
});

test('torch.profiler: nothing is recorded outside profile(); a throwing function still stops it; no nesting', () => {
  torch.scope(() => {
    const x = torch.randn([4]);
    assert.throws(() => torch.profiler.profile(() => { x.add(1); throw new Error('boom'); }), /boom/);
    const p = torch.profiler.profile(() => x.exp());
    assert.deepEqual(p.byName().map((e) => e.name).filter((n) => n === 'aten::add'), [], 'the failed profile ended');
    assert.equal(row(p, 'aten::exp')?.count, 1);
    assert.throws(() => torch.profiler.profile(() => torch.profiler.profile(() => x.exp())), /already running/);
    assert.equal(row(torch.profiler.profile(() => x.exp()), 'aten::exp')?.count, 1, 'usable after the nesting error');
    assert.throws(() => torch.profiler.profile(42 as unknown as () => void), /takes a function/);
    assert.throws(() => torch.profiler.recordFunction('', () => 0), /non-empty name/);
  });
});
