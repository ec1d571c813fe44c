/**
 * Two "hosts" on one machine: two network namespaces joined by a veth pair, each with its own
 * address (and its own loopback), one rank in each. Needs root and iproute2 (`ip netns`); skips,
 * saying why, where namespaces cannot be made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, ROOT, spawnRank, NEEDS_GLOO } from './helpers.ts';

const BIN = join(ROOT, 'bin', 'genlab.mjs');

const id = process.pid % 10000;
const nsA = `genlab-a-${id}`;
const nsB = `genlab-b-${id}`;
const net = `10.231.${id % 250}`;

function ip(...args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.error?.message ?? r.stderr ?? '').trim() };
}

/** Makes the two namespaces; returns why not, or null. */
function setUp(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (ip netns add)';
  const probe = ip('-V');
  if (!probe.ok) return `iproute2's ip is not available (${probe.err || 'not found'}); apt-get install iproute2`;
  const a = ip('netns', 'add', nsA);
  if (!a.ok) return `ip netns add failed: ${a.err}`;
  const steps: string[][] = [
    ['netns', 'add', nsB],
    ['link', 'add', `gva${id}`, 'type', 'veth', 'peer', 'name', `gvb${id}`],
    ['link', 'set', `gva${id}`, 'netns', nsA],
    ['link', 'set', `gvb${id}`, 'netns', nsB],
    ['-n', nsA, 'addr', 'add', `${net}.1/24`, 'dev', `gva${id}`],
    ['-n', nsB, 'addr', 'add', `${net}.2/24`, 'dev', `gvb${id}`],
    ['-n', nsA, 'link', 'set', `gva${id}`, 'up'],
    ['-n', nsB, 'link', 'set', `gvb${id}`, 'up'],
    ['-n', nsA, 'link', 'set', 'lo', 'up'],
    ['-n', nsB, 'link', 'set', 'lo', 'up'],
  ];
  for (const s of steps) {
    const r = ip(...s);
    if (!r.ok) return `ip ${s.join(' ')} failed: ${r.err}`;
  }
  return null;
}

function tearDown(): void {
  ip('netns', 'del', nsA);
  ip('netns', 'del', nsB);
}

test('two ranks in two network namespaces (separate addresses) train together', NEEDS_GLOO, async (t) => {
  const why = setUp();
  if (why) {
    tearDown();
    t.skip(why);
    return;
  }
  try {
    const out = mkdtempSync(join(tmpdir(), 'genlab-netns-'));
    const job = { model: 'realnvp', data: 'moons', out, name: 'netns', train: { steps: 6, batch: 32, ckptEvery: 3 } };
    const env = (rank: number): Record<string, string> => ({
      GENLAB_TEST_JOB: JSON.stringify(job),
      RANK: String(rank),
      WORLD_SIZE: '2',
      MASTER_ADDR: `${net}.1`,
      MASTER_PORT: '29555',
      GENLAB_DIST_TIMEOUT: '30',
    });
    const ranks = [spawnRank(FIXTURE, env(0), [], ['ip', 'netns', 'exec', nsA]), spawnRank(FIXTURE, env(1), [], ['ip', 'netns', 'exec', nsB])];
    const exits = await Promise.all(ranks.map((r) => r.exit));
    exits.forEach((e, i) => assert.equal(e.code, 0, `rank ${i}:\n${ranks[i]!.stderr}`));
    for (const r of ranks) assert.match(r.stdout, /"status":"completed","step":6/);
    const p0 = readFileSync(join(out, 'params-rank0.bin'));
    const p1 = readFileSync(join(out, 'params-rank1.bin'));
    assert.ok(p0.length > 0 && p0.equals(p1), 'the ranks in the two namespaces hold different parameters');
    // the same across "hosts" with the launcher: one `genlab launch --nnodes 2` per namespace
    const launchArgs = (node: number): string[] => [
      'launch', '--nproc', '1', '--nnodes', '2', '--node-rank', String(node), '--master-addr', `${net}.1`, '--master-port', '29556', '--dist-timeout', '30',
      '--', 'train', 'realnvp', '--data', 'moons', '--steps', '4', '--batch', '32', '--no-pictures', '--quiet', '--out', out, '--name', 'launched',
    ];
    const nodes = [0, 1].map((n) => spawnRank(BIN, {}, launchArgs(n), ['ip', 'netns', 'exec', n === 0 ? nsA : nsB]));
    const nexits = await Promise.all(nodes.map((r) => r.exit));
    nexits.forEach((e, i) => assert.equal(e.code, 0, `node ${i}:\n${nodes[i]!.stderr}`));
    assert.match(nodes[0]!.stdout, /trained launched for 4 steps/);
    assert.match(nodes[1]!.stderr, /data parallel: rank 1 of 2/);
    // the namespaces really are separate hosts: the master's address is not local to rank 1's
    const local = spawnSync('ip', ['-n', nsB, '-o', 'addr'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(local, new RegExp(`${net.replace(/\./g, '\\.')}\\.1/`));
  } finally {
    tearDown();
  }
});
