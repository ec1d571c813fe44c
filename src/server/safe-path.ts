/**
 * Confines file requests to a root folder (the runs folder). A request path is decoded exactly once and
 * refused when it holds a NUL byte, a backslash, an absolute path, a `..` segment, or a still-encoded
 * sequence (double encoding such as `%252e%252e`); what is left is resolved and its real path (symlinks
 * followed) must still lie inside the root's real path. Errors carry an HTTP status and say what was wrong.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';

export class PathError extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'PathError';
  }
}

/** Decodes a raw (percent-encoded) URL path tail once and checks its form; returns the relative path. */
export function decodeRelative(raw: string): string {
  let p: string;
  try {
    p = decodeURIComponent(raw);
  } catch {
    throw new PathError(400, `malformed percent-encoding in '${raw.slice(0, 80)}'`);
  }
  if (p.includes('\0')) throw new PathError(400, 'a NUL byte in the path');
  if (/%[0-9a-f]{2}/i.test(p)) throw new PathError(400, `a still-encoded sequence after decoding (double encoding?) in '${p.slice(0, 80)}'`);
  if (p.includes('\\')) throw new PathError(400, `a backslash in the path '${p.slice(0, 80)}'`);
  if (p.startsWith('/') || isAbsolute(p) || /^[a-zA-Z]:/.test(p)) throw new PathError(400, `an absolute path '${p.slice(0, 80)}'`);
  const segs = p.split('/');
  if (segs.some((s) => s === '..')) throw new PathError(403, `'..' in '${p.slice(0, 80)}' would leave the folder`);
  if (segs.some((s) => s === '' || s === '.')) throw new PathError(400, `an empty or '.' segment in '${p.slice(0, 80)}'`);
  return p;
}

/**
 * The real path of an existing regular file `rel` (already decoded) inside `root`; throws PathError
 * (403 when the path or a symlink on it leads outside, 404 when there is no such file).
 */
export function confine(root: string, rel: string): string {
  const base = resolve(root);
  const full = resolve(base, rel);
  if (full !== base && !full.startsWith(base + sep)) throw new PathError(403, `'${rel.slice(0, 80)}' is outside the folder`);
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(base);
    real = realpathSync(full);
  } catch {
    throw new PathError(404, `no file '${rel.slice(0, 80)}'`);
  }
  if (!real.startsWith(realRoot + sep)) throw new PathError(403, `'${rel.slice(0, 80)}' is a link that leads outside the folder`);
  let isFile = false;
  try {
    isFile = statSync(real).isFile();
  } catch {
    /* vanished */
  }
  if (!isFile) throw new PathError(404, `no file '${rel.slice(0, 80)}'`);
  return real;
}

/** A run name as the API accepts it: one plain folder name. */
export function checkRunName(name: string): string {
  if (!name || name.length > 200 || name.includes('\0') || /[\\/]/.test(name) || name === '.' || name === '..' || name.startsWith('.')) {
    throw new PathError(400, `not a run name: '${String(name).slice(0, 80)}'`);
  }
  return name;
}
