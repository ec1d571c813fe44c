/** Spawning test ranks: a free port, a rank process with torchrun's variables, its exit with a deadline. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ProcessGroup } from '../../../src/train/distributed/index.ts';

/** Test option: skip, naming why, where the native core was built without c10d's Gloo. */
export const NEEDS_GLOO = { skip: ProcessGroup.available() ? false : 'the native core was built without c10d Gloo (apt-get install libgloo-dev, then node scripts/setup.mjs --force)' } as const;

export const FIXTURE = fileURLToPath(new URL('./fixtures/rank.ts', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Ranked {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Starts `node --import tsx <script>` as one rank (env: RANK, WORLD_SIZE, MASTER_*), quiet glog, one thread. */
export function spawnRank(script: string, env: Record<string, string | undefined>, args: string[] = [], prefix: string[] = []): Ranked {
  const t0 = performance.now();
  const child = spawn(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, OMP_NUM_THREADS: '1', GLOG_minloglevel: '3', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Ranked = { child, stdout: '', stderr: '', exit: null as never };
  child.stdout!.on('data', (d) => (r.stdout += d));
  child.stderr!.on('data', (d) => (r.stderr += d));
  r.exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ms: performance.now() - t0 })));
  return r;
}

/** The rank's env for a job on 127.0.0.1:port. */
export function rankEnv(rank: number, worldSize: number, port: number, timeoutS: number, extra: Record<string, string> = {}): Record<string, string> {
  return { RANK: String(rank), WORLD_SIZE: String(worldSize), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), GENLAB_DIST_TIMEOUT: String(timeoutS), ...extra };
}

/** Resolves when `text()` matches `re`, rejects after `ms`. */
export async function waitFor(text: () => string, re: RegExp, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!re.test(text())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re} in:\n${text()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
