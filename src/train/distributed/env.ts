/**
 * The variables torchrun sets for each rank (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK),
 * read and checked; each bad value is named in the error. `genlab launch` sets the same ones, so a
 * rank started by torchrun-style tooling (a cluster scheduler, a shell script) works the same.
 */

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** Collective and rendezvous timeout in ms (GENLAB_DIST_TIMEOUT seconds; default 300 s). */
  timeoutMs: number;
  /** Network interface for Gloo (GLOO_SOCKET_IFNAME, as in PyTorch); else the address that routes to the master. */
  iface?: string;
}

export const DEFAULT_MASTER_PORT = 29500;
export const DEFAULT_TIMEOUT_S = 300;

function intVar(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') throw new Error(`distributed: ${name} is not set (torchrun and genlab launch set it for every rank)`);
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`distributed: ${name}=${JSON.stringify(raw)} is not an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}`);
  }
  return v;
}

/** True when this process was started as one rank of a group (WORLD_SIZE is set). */
export function isDistributedEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WORLD_SIZE !== undefined && env.WORLD_SIZE !== '';
}

/** Reads and checks the rank's variables; throws naming the bad one. */
export function readDistEnv(env: NodeJS.ProcessEnv = process.env): DistEnv {
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  const rank = intVar(env, 'RANK', 0);
  if (rank >= worldSize) throw new Error(`distributed: RANK=${rank} is out of range for WORLD_SIZE=${worldSize} (ranks are 0..${worldSize - 1})`);
  const localRank = env.LOCAL_RANK === undefined || env.LOCAL_RANK === '' ? rank : intVar(env, 'LOCAL_RANK', 0);
  const masterAddr = env.MASTER_ADDR ?? '';
  if (!masterAddr) throw new Error('distributed: MASTER_ADDR is not set (the host name or address of rank 0)');
  const masterPort = env.MASTER_PORT === undefined || env.MASTER_PORT === '' ? DEFAULT_MASTER_PORT : intVar(env, 'MASTER_PORT', 1, 65535);
  let timeoutMs = DEFAULT_TIMEOUT_S * 1000;
  if (env.GENLAB_DIST_TIMEOUT !== undefined && env.GENLAB_DIST_TIMEOUT !== '') {
    const s = Number(env.GENLAB_DIST_TIMEOUT);
    if (!(s > 0) || !Number.isFinite(s)) throw new Error(`distributed: GENLAB_DIST_TIMEOUT=${JSON.stringify(env.GENLAB_DIST_TIMEOUT)} must be a positive number of seconds`);
    timeoutMs = Math.round(s * 1000);
  }
  const iface = env.GLOO_SOCKET_IFNAME || undefined;
  return { rank, worldSize, localRank, masterAddr, masterPort, timeoutMs, iface };
}
