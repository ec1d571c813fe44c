/**
 * A process group on libtorch's c10d engine (Gloo backend): the ranks of one training job, joined
 * through a TCP store on the master (rank 0), with PyTorch's collectives. Every collective returns a
 * Promise: the wait runs on a worker thread, so Node's event loop (signals, timers, a server) keeps
 * running. Each call has a timeout (the group's, or `timeoutMs`); after any failure the group is
 * broken and every later call fails at once with the first error.
 *
 * Collectives must be called in the same order on every rank (as in PyTorch); they are submitted to
 * Gloo in call order, so several may be in flight at once.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { N } from '../../tensor/native.ts';
import { torch, Tensor } from '../../tensor/index.ts';
import { readDistEnv, type DistEnv } from './env.ts';

export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max';

export interface CollectiveOptions {
  /** Milliseconds before the call fails (default: the group's timeout). */
  timeoutMs?: number;
}

export interface InitOptions extends Partial<DistEnv> {
  /** Store key prefix: groups made on the same master with different prefixes do not mix. */
  prefix?: string;
}

/** The source address this host uses to reach `host` (no packet is sent), or undefined. */
export async function routeAddress(host: string, port: number): Promise<string | undefined> {
  const family = isIP(host) === 6 ? 'udp6' : 'udp4';
  const s = createSocket(family);
  try {
    await new Promise<void>((res, rej) => s.connect(port, host, (err?: Error) => (err ? rej(err) : res())));
    return s.address().address;
  } catch {
    return undefined;
  } finally {
    s.close();
  }
}

function explainRendezvousError(e: unknown, o: DistEnv): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const where = `${o.masterAddr}:${o.masterPort}`;
  const secs = `${(o.timeoutMs / 1000).toFixed(1)} s`;
  if (/address already in use/i.test(msg)) {
    return new Error(`distributed: MASTER_PORT ${o.masterPort} on ${o.masterAddr} is already in use by another process, so rank 0 cannot start the rendezvous server there; choose another port (--master-port) [${msg}]`);
  }
  if (/WORLD_SIZE mismatch/.test(msg)) {
    return new Error(`distributed: ${/WORLD_SIZE mismatch: (.*)$/.exec(msg)![1]}; start every rank with the same WORLD_SIZE`);
  }
  const joined = /only (\d+) of WORLD_SIZE=(\d+) ranks joined/.exec(msg);
  if (joined) {
    return new Error(`distributed: only ${joined[1]} of WORLD_SIZE=${joined[2]} ranks joined the rendezvous at ${where} within ${secs}; check WORLD_SIZE and that every rank started`);
  }
  if (/TCP store/.test(msg) && o.rank !== 0) {
    return new Error(`distributed: rank ${o.rank} could not reach the master at ${where} within ${secs}; is rank 0 running there, and are MASTER_ADDR/MASTER_PORT right? [${msg}]`);
  }
  if (/Gloo rendezvous/.test(msg)) {
    return new Error(`distributed: rank ${o.rank} joined the store at ${where} but the Gloo connection of all ${o.worldSize} ranks did not complete within ${secs}; do all ranks use the same WORLD_SIZE (this rank: ${o.worldSize}), and can they reach each other? [${msg}]`);
  }
  return new Error(`distributed: rank ${o.rank} of ${o.worldSize} could not join the group at ${where}: ${msg}`);
}

/** Says what a failed collective means: a rank gone, or a rank that did not arrive in time. */
export function explainCollectiveError(e: unknown, rank: number, worldSize: number): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.startsWith('distributed:')) return msg;
  const lost = /connection (reset|closed|refused)|broken pipe|end of file|EOF|read error|write error/i.test(msg);
  // the native message reads '<kind> failed on rank r of w (timeout T ms): <cause>'; classify the cause
  const cause = msg.includes('): ') ? msg.slice(msg.indexOf('): ') + 3) : msg;
  const late = /time(d)? ?out|did not complete/i.test(cause);
  const why = lost
    ? 'another rank exited or lost its connection'
    : late
      ? 'another rank did not join this collective in time (it may be stuck, slower than the timeout, or running different code)'
      : 'the process group failed';
  return `distributed: a collective failed on rank ${rank} of ${worldSize}: ${why} [${msg}]`;
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly timeoutMs: number;
  /** @internal the native group */
  readonly _g: object;

  private constructor(g: object, o: DistEnv) {
    this._g = g;
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.timeoutMs = o.timeoutMs;
  }

  /** Whether this build of the native core has c10d's Gloo backend. */
  static available(): boolean {
    return N.distAvailable().gloo && typeof N.distNewGroup === 'function';
  }

  /**
   * Joins a group: the options, else torchrun's variables (MASTER_ADDR, MASTER_PORT, RANK,
   * WORLD_SIZE). Rank 0 serves the TCP store; every rank waits for all WORLD_SIZE ranks until the
   * timeout, then fails naming what went wrong (port in use, master unreachable, ranks missing).
   */
  static async init(options: InitOptions = {}): Promise<ProcessGroup> {
    if (!ProcessGroup.available()) {
      throw new Error('distributed: this build of the native core has no c10d Gloo backend (install libgloo-dev and rebuild: node scripts/setup.mjs --force)');
    }
    const fromEnv = options.worldSize === undefined || options.rank === undefined || options.masterAddr === undefined ? readDistEnv() : null;
    const o: DistEnv = { ...(fromEnv as DistEnv), ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    o.masterPort ??= 29500;
    o.timeoutMs ??= 300_000;
    o.localRank ??= o.rank;
    const localAddr = o.iface ? undefined : await routeAddress(o.masterAddr, o.masterPort);
    let g: object;
    try {
      g = await N.distNewGroup!({
        host: o.masterAddr,
        port: o.masterPort,
        rank: o.rank,
        worldSize: o.worldSize,
        timeoutMs: o.timeoutMs,
        localAddr,
        iface: o.iface,
        prefix: options.prefix,
      });
    } catch (e) {
      throw explainRendezvousError(e, o);
    }
    return new ProcessGroup(g, o);
  }

  /** The first failure, or null while the group is healthy. */
  get broken(): string | null {
    return N.distGroupInfo!(this._g).broken;
  }

  private async run(kind: string, tensors: Tensor[], o: { op?: string; root?: number; timeoutMs?: number }): Promise<number[] | undefined> {
    try {
      return await N.distCollective!(this._g, kind, tensors.map((t) => t._h), o);
    } catch (e) {
      throw new Error(explainCollectiveError(e, this.rank, this.worldSize));
    }
  }

  /** Reduces `t` in place over all ranks (sum by default; 'avg' divides the sum by the world size). */
  async allReduce(t: Tensor, options: CollectiveOptions & { op?: ReduceOp } = {}): Promise<Tensor> {
    const op = options.op ?? 'sum';
    await this.run('allreduce', [t], { op: op === 'avg' ? 'sum' : op, timeoutMs: options.timeoutMs });
    if (op === 'avg') torch.noGrad(() => t.div_(this.worldSize));
    return t;
  }

  /** Copies `t` of rank `src` into `t` on every rank (in place). */
  async broadcast(t: Tensor, options: CollectiveOptions & { src?: number } = {}): Promise<Tensor> {
    await this.run('broadcast', [t], { root: options.src ?? 0, timeoutMs: options.timeoutMs });
    return t;
  }

  /** Every rank's `t` (same shape and dtype on all ranks), in rank order, as new tensors. */
  async allGather(t: Tensor, options: CollectiveOptions = {}): Promise<Tensor[]> {
    const hs = (await this.run('allgather', [t], { timeoutMs: options.timeoutMs })) ?? [];
    return hs.map((h) => new Tensor(h));
  }

  /**
   * Reduces `t` over all ranks and returns this rank's block of dim 0 (t.size(0) must divide by the
   * world size). Gloo has no reduce-scatter in libtorch 1.13, so this is an all-reduce of a copy
   * followed by a slice: the same result, with the traffic of an all-reduce.
   */
  async reduceScatter(t: Tensor, options: CollectiveOptions & { op?: ReduceOp } = {}): Promise<Tensor> {
    const n = t.size(0);
    if (n % this.worldSize !== 0) throw new RangeError(`reduceScatter: dim 0 (${n}) must be divisible by the world size ${this.worldSize}`);
    const copy = torch.noGrad(() => t.detach().contiguous().clone());
    await this.allReduce(copy, options);
    const k = n / this.worldSize;
    const out = copy.narrow(0, this.rank * k, k).clone();
    copy.dispose();
    return out;
  }

  /** Waits until every rank reaches the barrier. */
  async barrier(options: CollectiveOptions = {}): Promise<void> {
    await this.run('barrier', [], { timeoutMs: options.timeoutMs });
  }

  /** Leaves the group (rank 0 stops serving the store). A failed group is released without waiting. */
  destroy(): void {
    N.distDestroyGroup!(this._g);
  }
}
