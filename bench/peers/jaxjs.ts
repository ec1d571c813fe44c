/**
 * jax-js side of the engine benchmark (peer column 'jaxjs-wasm'): the workloads of bench/workloads.ts on
 * jax-js's wasm device (single-threaded in Node: no global Worker), gradients from its own autodiff
 * (valueAndGrad). The training steps are one jit-compiled function (forward, backward and the optimizer
 * update, as a JAX user writes them); Adam and SGD are written out with PyTorch's update rule and
 * hyperparameters (jax-js ships no optimizer: @jax-js/optax is not on npm). The tiny-op loop runs
 * eagerly (jit would fuse it into one kernel, which is not what that workload measures); jax-js
 * evaluates lazily, so each loop iteration reads back its two scalar results to force the work.
 * Arrays are reference-counted: every use but the last takes `.ref`.
 */
import { defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { labels, normal, timeit, uniformInit, type PeerColumn } from './timeit.ts';

type A = np.Array;
type Params = Record<string, A>;

const require = createRequire(import.meta.url);
// package.json is not in the package's exports: read it next to the resolved entry (dist/index.cjs).
const version = (JSON.parse(readFileSync(join(require.resolve('@jax-js/jax'), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

const param = (shape: number[], fanIn: number): A =>
  np.array(uniformInit(shape.reduce((a, b) => a * b, 1), fanIn)).reshape(shape);
const randn = (shape: number[]): A => np.array(normal(shape.reduce((a, b) => a * b, 1))).reshape(shape);

const LR = 1e-3;
const B1 = 0.9;
const B2 = 0.999;
const EPS = 1e-8;

/**
 * One jitted training step: (params, state, bias corrections, inputs) -> [params, state, loss], all
 * arguments consumed. `adam`: state {m, v}, c = [1 - b1^t, 1 - b2^t]; SGD: no state.
 */
function trainStep(loss: (p: Params, x: A, y: A) => A, opt: 'adam' | 'sgd') {
  const vg = valueAndGrad(loss);
  if (opt === 'sgd') {
    return jit((p: Params, x: A, y: A) => {
      const [l, g] = vg(tree.ref(p), x, y) as [A, Params];
      const next: Params = {};
      for (const k of Object.keys(p)) next[k] = p[k]!.sub(g[k]!.mul(LR));
      return [next, l] as [Params, A];
    });
  }
  return jit((p: Params, m: Params, v: Params, c1: A, c2: A, x: A, y: A) => {
    const [l, g] = vg(tree.ref(p), x, y) as [A, Params];
    const np_: Params = {};
    const nm: Params = {};
    const nv: Params = {};
    for (const k of Object.keys(p)) {
      const gk = g[k]!;
      nm[k] = m[k]!.mul(B1).add(gk.ref.mul(1 - B1));
      nv[k] = v[k]!.mul(B2).add(gk.ref.mul(gk).mul(1 - B2));
      // PyTorch: p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
      const denom = np.sqrt(nv[k]!.ref.div(c2.ref)).add(EPS);
      np_[k] = p[k]!.sub(nm[k]!.ref.div(c1.ref).div(denom).mul(LR));
    }
    c1.dispose();
    c2.dispose();
    return [np_, nm, nv, l] as [Params, Params, Params, A];
  });
}

function train(params: Params, loss: (p: Params, x: A, y: A) => A, opt: 'adam' | 'sgd', x: A, y: A, iters: number, reps: number): number {
  let p = params;
  let m: Params = tree.map((a: A) => np.zerosLike(a.ref), p) as Params;
  let v: Params = tree.map((a: A) => np.zerosLike(a.ref), p) as Params;
  let t = 0;
  const adam = trainStep(loss, 'adam');
  const sgd = trainStep(loss, 'sgd');
  try {
    return timeit(() => {
      let l: A;
      if (opt === 'adam') {
        t += 1;
        [p, m, v, l] = (adam as (...a: unknown[]) => [Params, Params, Params, A])(
          p, m, v, np.array(1 - B1 ** t), np.array(1 - B2 ** t), x.ref, y.ref);
      } else {
        [p, l] = (sgd as (...a: unknown[]) => [Params, A])(p, x.ref, y.ref);
      }
      l.dataSync(); // waits for the step; dataSync consumes the array

    }, iters, reps);
  } finally {
    adam.dispose();
    sgd.dispose();
    tree.dispose([p, m, v]);
    x.dispose();
    y.dispose();
  }
}

function mlpStep(opt: 'adam' | 'sgd', reps: number): number {
  const params: Params = {
    w1: param([2, 256], 2), b1: param([256], 2),
    w2: param([256, 256], 256), b2: param([256], 256),
    w3: param([256, 2], 256), b3: param([2], 256),
  };
  const loss = (p: Params, x: A, y: A): A => {
    let h = nn.relu(np.matmul(x, p.w1!).add(p.b1!));
    h = nn.relu(np.matmul(h, p.w2!).add(p.b2!));
    const out = np.matmul(h, p.w3!).add(p.b3!);
    return np.mean(np.square(out.sub(y)));
  };
  return train(params, loss, opt, randn([512, 2]), randn([512, 2]), 200, reps);
}

/** 2x2 max pool, stride 2, on NCHW. */
const maxPool2 = (h: A): A => {
  const [n, c, hh, ww] = h.shape as [number, number, number, number];
  return np.max(h.reshape([n, c, hh / 2, 2, ww / 2, 2]), [3, 5]);
};

function convStep(reps: number): number {
  const params: Params = {
    c1: param([32, 1, 3, 3], 9), cb1: param([32], 9),
    c2: param([64, 32, 3, 3], 32 * 9), cb2: param([64], 32 * 9),
    l1: param([64 * 7 * 7, 128], 64 * 7 * 7), lb1: param([128], 64 * 7 * 7),
    l2: param([128, 10], 128), lb2: param([10], 128),
  };
  const pad: [number, number][] = [[1, 1], [1, 1]];
  const loss = (p: Params, x: A, y: A): A => {
    let h = maxPool2(nn.relu(lax.conv(x, p.c1!, [1, 1], pad).add(p.cb1!.reshape([1, 32, 1, 1]))));
    h = maxPool2(nn.relu(lax.conv(h, p.c2!, [1, 1], pad).add(p.cb2!.reshape([1, 64, 1, 1]))));
    const f = nn.relu(np.matmul(h.reshape([128, 64 * 7 * 7]), p.l1!).add(p.lb1!));
    const logits = np.matmul(f, p.l2!).add(p.lb2!);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).mul(-1);
  };
  const y = nn.oneHot(np.array(labels(128, 10), { dtype: np.int32 }), 10);
  return train(params, loss, 'adam', randn([128, 1, 28, 28]), y, 20, reps);
}

function tinyOps(reps: number): number {
  let a = randn([16]);
  const b = randn([16]);
  try {
    const ms = timeit(() => {
      for (let i = 0; i < 10; i++) {
        let c = a.ref.add(b.ref);
        c = c.mul(2);
        c = c.sub(a.ref);
        c = np.exp(c);
        c = c.mul(b.ref);
        c = np.tanh(c);
        c = np.sum(c);
        c.dataSync(); // consumes c
        a = a.add(b.ref); // no in-place ops: a new array replaces a
        a = a.sub(b.ref);
        c = np.dot(a.ref, b.ref);
        c.dataSync(); // consumes c
      }
    }, 2000, reps);
    return (ms * 1000) / 100;
  } finally {
    a.dispose();
    b.dispose();
  }
}

const work: Record<string, (reps: number) => number> = {
  mlp_adam: (r) => mlpStep('adam', r),
  mlp_sgd: (r) => mlpStep('sgd', r),
  conv_adam: convStep,
  tiny_op_us: tinyOps,
};

let ready: Promise<void> | null = null;

export async function columns(): Promise<PeerColumn[]> {
  return [{
    column: 'jaxjs-wasm',
    describe: `jax-js ${version} (wasm device; training steps jit-compiled, tiny ops eager)`,
    run: async (workload: string, reps: number) => {
      ready ??= init('wasm').then((d) => {
        if (!d.includes('wasm')) throw new Error('wasm device did not initialize');
        defaultDevice('wasm');
      });
      await ready;
      const w = work[workload];
      if (!w) throw new Error(`no such workload ${workload}`);
      return w(reps);
    },
  }];
}
