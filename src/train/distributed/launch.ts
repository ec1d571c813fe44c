/**
 * Starts and watches the ranks of one node (torchrun's job): each rank is a child process with
 * torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and
 * GENLAB_DIST_TIMEOUT. SIGINT/SIGTERM are forwarded to every rank (a second SIGINT kills them). When a
 * rank dies or fails, the others are stopped (SIGTERM, then SIGKILL after a grace period) and one
 * message names the rank that failed first and why.
 *
 * Rank 0 of the node writes to this process's stdout/stderr as is (progress bars work); the other
 * ranks' lines are prefixed with `[rank r]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_MASTER_PORT, DEFAULT_TIMEOUT_S } from './env.ts';

export interface LaunchOptions {
  /** argv of one rank: [executable, ...args]. */
  command: string[];
  /** Ranks on this node. */
  nproc: number;
  /** Nodes (machines) in the job (default 1). */
  nnodes?: number;
  /** This node's index, 0..nnodes-1 (default 0; node 0 hosts rank 0 and the store). */
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** Rendezvous and collective timeout of the ranks, seconds. */
  timeoutS?: number;
  /** Extra environment for the ranks. */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between SIGTERM and SIGKILL when stopping ranks (default 5000). */
  graceMs?: number;
  /** Where the launcher's own messages go (default stderr). */
  log?: (message: string) => void;
  /** Pipe and prefix every rank's output, rank 0's too (tests); default: rank 0 inherits. */
  prefixAll?: boolean;
  /** Called once the ranks are started (tests: their pids). */
  onStart?: (pids: number[]) => void;
}

export interface LaunchResult {
  /** The exit code for the launcher: 0 when every rank succeeded, else the first failure's. */
  code: number;
  /** One sentence: what happened. */
  message: string;
  /** The global rank that failed first, if any. */
  failedRank?: number;
}

function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`launch: ${name} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}, got ${v}`);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Runs the ranks of this node until all exit; never throws for a rank's failure. */
export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const masterPort = o.masterPort ?? DEFAULT_MASTER_PORT;
  checkInt('--nproc', o.nproc, 1);
  checkInt('--nnodes', nnodes, 1);
  checkInt('--node-rank', nodeRank, 0, nnodes - 1);
  checkInt('--master-port', masterPort, 1, 65535);
  if (o.command.length === 0) throw new Error('launch: no command to run (genlab launch --nproc N -- train ...)');
  const worldSize = nnodes * o.nproc;
  const masterAddr = o.masterAddr ?? '127.0.0.1';
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const graceMs = o.graceMs ?? 5000;

  const children: { child: ChildProcess; rank: number; exited: boolean; lastLine: string }[] = [];
  let first: { rank: number; why: string; code: number } | null = null;
  let stopping = false;
  let interrupted: NodeJS.Signals | null = null;
  let killTimer: NodeJS.Timeout | null = null;

  const stopAll = (signal: NodeJS.Signals): void => {
    for (const c of children) if (!c.exited) c.child.kill(signal);
    if (!killTimer && signal !== 'SIGKILL') {
      killTimer = setTimeout(() => {
        for (const c of children) if (!c.exited) c.child.kill('SIGKILL');
      }, graceMs);
      killTimer.unref();
    }
  };

  const pipeLines = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream, prefix: string, rec: { lastLine: string }): void => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      const parts = buf.split(/\r?\n|\r/);
      buf = parts.pop()!;
      for (const line of parts) {
        if (line.trim()) rec.lastLine = line;
        out.write(`${prefix}${line}\n`);
      }
    });
    stream.on('end', () => {
      if (buf) {
        if (buf.trim()) rec.lastLine = buf;
        out.write(`${prefix}${buf}\n`);
      }
    });
  };

  const done = new Promise<void>((resolve) => {
    let remaining = o.nproc;
    for (let local = 0; local < o.nproc; local++) {
      const rank = nodeRank * o.nproc + local;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...o.env,
        RANK: String(rank),
        LOCAL_RANK: String(local),
        WORLD_SIZE: String(worldSize),
        LOCAL_WORLD_SIZE: String(o.nproc),
        GROUP_RANK: String(nodeRank),
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
        GENLAB_DIST_TIMEOUT: String(o.timeoutS ?? process.env.GENLAB_DIST_TIMEOUT ?? DEFAULT_TIMEOUT_S),
      };
      // as torchrun: one compute thread per rank unless the user chose (ranks share the cores)
      if (o.nproc > 1 && env.OMP_NUM_THREADS === undefined) env.OMP_NUM_THREADS = '1';
      // libtorch's c10d logs socket retries through glog; errors reach the user through genlab's messages
      env.GLOG_minloglevel ??= '3';
      const inherit = rank === 0 && !o.prefixAll;
      const child = spawn(o.command[0]!, o.command.slice(1), { env, stdio: inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'] });
      const rec = { child, rank, exited: false, lastLine: '' };
      children.push(rec);
      if (!inherit) {
        pipeLines(child.stdout!, process.stdout, `[rank ${rank}] `, rec);
        pipeLines(child.stderr!, process.stderr, `[rank ${rank}] `, rec);
      }
      const onEnd = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (rec.exited) return;
        rec.exited = true;
        const ok = code === 0 || (interrupted !== null && (code === 130 || signal === interrupted));
        if (!ok && !first && !stopping) {
          const why = `rank ${rank} (pid ${child.pid}) ${describeExit(code, signal)}`;
          first = { rank, why, code: code && code > 0 ? code : 1 };
          stopping = true;
          stopAll('SIGTERM');
        }
        if (--remaining === 0) resolve();
      };
      child.on('exit', onEnd);
      child.on('error', (e) => {
        if (!first) {
          first = { rank, why: `rank ${rank} could not start (${o.command[0]}): ${e.message}`, code: 1 };
          stopping = true;
          stopAll('SIGTERM');
        }
        onEnd(1, null);
      });
    }
  });
  o.onStart?.(children.map((c) => c.child.pid ?? -1));

  let sigints = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    if (signal === 'SIGINT' && ++sigints > 1) stopAll('SIGKILL');
    else for (const c of children) if (!c.exited) c.child.kill(signal);
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await done;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (killTimer) clearTimeout(killTimer);
  }
  const f = first as { rank: number; why: string; code: number } | null;
  if (f) {
    const c = children.find((x) => x.rank === f.rank);
    const last = c?.lastLine ? `; its last line: ${c.lastLine.trim()}` : '';
    return { code: f.code, failedRank: f.rank, message: `genlab launch: ${f.why}${last}; stopped the other ${worldSize > 1 ? `${o.nproc - 1} rank(s) of this node` : 'ranks'}` };
  }
  if (interrupted) return { code: 130, message: `genlab launch: ${interrupted} forwarded to ${o.nproc} rank(s); all stopped` };
  return { code: 0, message: `genlab launch: all ${o.nproc} rank(s) of node ${nodeRank} finished` };
}
