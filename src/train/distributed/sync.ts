/**
 * Small agreements between ranks over a ProcessGroup: rank 0's bytes to everyone, and a check that
 * every rank runs the same job (naming the first difference).
 */
import { torch } from '../../tensor/index.ts';
import type { ProcessGroup } from './process-group.ts';

/** Where two JSON values first differ, as `path: a vs b`, or null when equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null || typeof a !== 'object') {
    return JSON.stringify(a) === JSON.stringify(b) ? null : `${path || '(value)'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
    const d = firstDifference(ao[k], bo[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return null;
}

/** Rank 0's bytes (or null) on every rank. */
export async function broadcastBytes(group: ProcessGroup, bytes: Uint8Array | null): Promise<Uint8Array | null> {
  return torch.scope(async () => {
    const len = torch.tensor([group.rank === 0 ? (bytes ? bytes.length : -1) : 0], { dtype: 'int64' });
    await group.broadcast(len);
    const n = Number(len.item());
    if (n < 0) return null;
    const buf = group.rank === 0 ? torch.fromTypedArray(bytes!, [n], { dtype: 'uint8' }) : torch.zeros([n], { dtype: 'uint8' });
    if (n > 0) await group.broadcast(buf);
    return group.rank === 0 ? bytes : new Uint8Array((buf.toTypedArray() as Uint8Array).buffer);
  });
}

/**
 * Checks that every rank runs the same job: rank 0's `what` (a JSON-able description: config,
 * parameter names and shapes) is compared on each rank; if any differs, every rank throws, the
 * differing ranks naming the first difference.
 */
export async function verifySame(group: ProcessGroup, label: string, what: unknown): Promise<void> {
  const mine = JSON.stringify(what);
  const bytes = await broadcastBytes(group, group.rank === 0 ? new TextEncoder().encode(mine) : null);
  const theirs = JSON.parse(new TextDecoder().decode(bytes!)) as unknown;
  const diff = group.rank === 0 ? null : firstDifference(JSON.parse(mine), theirs);
  const flags = await torch.scope(async () => {
    const parts = await group.allGather(torch.tensor([diff ? 1 : 0], { dtype: 'int32' }));
    return parts.map((p) => Number(p.item()));
  });
  const bad = flags.map((f, r) => (f ? r : -1)).filter((r) => r >= 0);
  if (bad.length === 0) return;
  if (diff) throw new Error(`distributed: rank ${group.rank}'s ${label} differs from rank 0's at ${diff} (rank ${group.rank} vs rank 0); start every rank with the same settings`);
  throw new Error(`distributed: the ${label} of rank(s) ${bad.join(', ')} differs from rank 0's (see that rank's error); start every rank with the same settings`);
}
