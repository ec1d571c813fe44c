/**
 * TensorFlow.js side of the engine benchmark (peer columns 'tfjs-cpu' and 'tfjs-wasm'): the workloads
 * of bench/workloads.ts with tfjs ops (no tfjs-layers), gradients from tfjs's own autodiff (optimizer.minimize) and
 * tf.train.adam / tf.train.sgd with PyTorch's hyperparameters (lr 1e-3; Adam betas 0.9/0.999, eps 1e-8).
 * tfjs-node is not used (its install downloads a binary); the wasm backend loads the .wasm files that
 * ship in @tensorflow/tfjs-backend-wasm, single-threaded like the genlab and PyTorch columns.
 * Images are NHWC, tfjs's native layout (same shapes and FLOPs as the NCHW genlab/PyTorch net).
 */
// The union package for its node bundle: tfjs-core's own node bundle registers no gradients.
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { labels, normal, timeit, uniformInit, type PeerColumn } from './timeit.ts';

const require = createRequire(import.meta.url);
const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
setThreadsCount(1);
tf.enableProdMode(); // skips debug checks, as tfjs recommends for speed; also silences the tfjs-node hint

const param = (shape: number[], fanIn: number) =>
  tf.variable(tf.tensor(uniformInit(shape.reduce((a, b) => a * b, 1), fanIn), shape));
const randn = (shape: number[]) => tf.tensor(normal(shape.reduce((a, b) => a * b, 1)), shape);
const adam = () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8);

function mlpStep(opt: 'adam' | 'sgd', reps: number): number {
  const [w1, b1, w2, b2, w3, b3] = [param([2, 256], 2), param([256], 2), param([256, 256], 256), param([256], 256), param([256, 2], 256), param([2], 256)];
  const vars = [w1, b1, w2, b2, w3, b3];
  const x = randn([512, 2]);
  const y = randn([512, 2]);
  const o = opt === 'adam' ? adam() : tf.train.sgd(1e-3);
  try {
    return timeit(() => tf.tidy(() => {
      o.minimize(() => {
        let h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        h = tf.relu(tf.add(tf.matMul(h, w2), b2));
        const out = tf.add(tf.matMul(h, w3), b3);
        return tf.mean(tf.square(tf.sub(out, y))) as tf.Scalar;
      }, false, vars);
    }), 200, reps);
  } finally {
    o.dispose();
    tf.dispose([...vars, x, y]);
  }
}

function convStep(reps: number): number {
  const vars = [
    param([3, 3, 1, 32], 9), param([32], 9),
    param([3, 3, 32, 64], 32 * 9), param([64], 32 * 9),
    param([64 * 7 * 7, 128], 64 * 7 * 7), param([128], 64 * 7 * 7),
    param([128, 10], 128), param([10], 128),
  ];
  const [c1, cb1, c2, cb2, l1, lb1, l2, lb2] = vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const x = randn([128, 28, 28, 1]);
  const y = tf.cast(tf.oneHot(tf.tensor1d(labels(128, 10), 'int32'), 10), 'float32');
  const o = adam();
  try {
    return timeit(() => tf.tidy(() => {
      o.minimize(() => {
        const pool = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid');
        let h = pool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c1 as tf.Tensor4D, 1, 'same'), cb1)));
        h = pool(tf.relu(tf.add(tf.conv2d(h, c2 as tf.Tensor4D, 1, 'same'), cb2)));
        const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [128, 64 * 7 * 7]), l1), lb1));
        const logits = tf.add(tf.matMul(f, l2), lb2);
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
      }, false, vars);
    }), 20, reps);
  } finally {
    o.dispose();
    tf.dispose([...vars, x, y]);
  }
}

function tinyOps(reps: number): number {
  const a = tf.variable(randn([16]));
  const b = randn([16]);
  try {
    const ms = timeit(() => tf.tidy(() => {
      for (let i = 0; i < 10; i++) {
        let c = tf.add(a, b);
        c = tf.mul(c, 2);
        c = tf.sub(c, a);
        c = tf.exp(c);
        c = tf.mul(c, b);
        c = tf.tanh(c);
        c = tf.sum(c);
        a.assign(tf.add(a, b)); // no in-place ops in tfjs: assign to a variable
        a.assign(tf.sub(a, b));
        c = tf.dot(a, b);
      }
    }), 2000, reps);
    return (ms * 1000) / 100;
  } finally {
    tf.dispose([a, b]);
  }
}

const work: Record<string, (reps: number) => number> = {
  mlp_adam: (r) => mlpStep('adam', r),
  mlp_sgd: (r) => mlpStep('sgd', r),
  conv_adam: convStep,
  tiny_op_us: tinyOps,
};

export async function columns(): Promise<PeerColumn[]> {
  return (['cpu', 'wasm'] as const).map((backend) => ({
    column: `tfjs-${backend}`,
    describe: `TensorFlow.js ${version} (tfjs-core + tfjs-backend-${backend})`,
    run: async (workload: string, reps: number) => {
      if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialize`);
      const w = work[workload];
      if (!w) throw new Error(`no such workload ${workload}`);
      return w(reps);
    },
  }));
}
