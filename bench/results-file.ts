/** Writes one `## title` section of bench/RESULTS.md, replacing the section of that title if present. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeResultsSection(title: string, table: string): void {
  const file = join(import.meta.dirname, 'RESULTS.md');
  const old = readFileSync(file, 'utf8');
  const start = old.indexOf(`## ${title}`);
  const next = start >= 0 ? old.indexOf('\n## ', start + 5) : -1;
  const body = `${table.trimEnd()}\n`;
  writeFileSync(file, start < 0 ? `${old.trimEnd()}\n\n${body}` : old.slice(0, start) + body + (next >= 0 ? `\n${old.slice(next + 1)}` : ''));
}
