/**
 * `genlab launch --nproc N [--nnodes M --node-rank K --master-addr A --master-port P] -- train ...`:
 * starts N ranks of a genlab command on this node with torchrun's variables, watches them, forwards
 * Ctrl-C, and stops them all with one message when one fails. Run it once per node.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { DEFAULT_MASTER_PORT, DEFAULT_TIMEOUT_S, launch } from '../../train/distributed/index.ts';

/** The argv that runs `genlab <args...>` in a new process. */
export function genlabCommand(args: string[]): string[] {
  return [process.execPath, fileURLToPath(new URL('../../../bin/genlab.mjs', import.meta.url)), ...args];
}

export const launchFlags = {
  nproc: { type: 'int', help: 'ranks (processes) on this node' },
  nnodes: { type: 'int', default: 1, help: 'nodes (machines) in the job' },
  'node-rank': { type: 'int', default: 0, help: "this node's index (node 0 runs rank 0 and the rendezvous store)" },
  'master-addr': { type: 'string', default: '127.0.0.1', help: "node 0's address, reachable from every node" },
  'master-port': { type: 'int', default: DEFAULT_MASTER_PORT, help: 'TCP port of the rendezvous store on node 0' },
  'dist-timeout': { type: 'float', default: DEFAULT_TIMEOUT_S, help: 'seconds before a rendezvous or collective that waits for a missing rank fails' },
} as const;

/** Runs `args` (a genlab command line) as `nproc` ranks; returns the exit code. */
export async function runLaunch(args: string[], flags: Record<string, string | number | boolean | undefined>): Promise<number> {
  if (flags.nproc === undefined) throw new UsageError('--nproc N is required (ranks on this node)');
  if (args.length === 0) throw new UsageError('give the command after --: genlab launch --nproc 2 -- train <model> --data <set>');
  const r = await launch({
    command: genlabCommand(args),
    nproc: Number(flags.nproc),
    nnodes: Number(flags.nnodes),
    nodeRank: Number(flags['node-rank']),
    masterAddr: String(flags['master-addr']),
    masterPort: Number(flags['master-port']),
    timeoutS: Number(flags['dist-timeout']),
  });
  if (r.code !== 0) process.stderr.write(`${r.message}\n`);
  return r.code;
}

export const launchCommand: Command = {
  name: 'launch',
  summary: 'Run a genlab command as N data-parallel ranks (c10d/Gloo), as torchrun does',
  usage: '--nproc N [--nnodes M --node-rank K --master-addr A --master-port P] -- train <model> --data <set> ...',
  flags: launchFlags,
  async run(positional, flags): Promise<number> {
    try {
      return await runLaunch(positional, flags);
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(e.message.replace(/^launch: /, ''));
      throw e;
    }
  },
};
