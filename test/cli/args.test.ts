import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, type FlagSpecs } from '../../src/cli/args.ts';

const specs: FlagSpecs = {
  config: { type: 'string', help: 'key=value list' },
  steps: { type: 'int', help: 'steps' },
  lr: { type: 'float', help: 'lr' },
  quiet: { type: 'bool', help: 'quiet' },
};

test('a repeated --config accumulates its key=value lists (none is silently dropped)', () => {
  const { flags } = parseArgs(['--config', 'a=1', '--config=b=2,c=3', '--config', 'd=4'], specs);
  assert.equal(flags.config, 'a=1,b=2,c=3,d=4');
});

test('any other repeated value flag is an error naming the flag and both values', () => {
  assert.throws(() => parseArgs(['--steps', '10', '--steps', '20'], specs), (e: Error) => e instanceof UsageError && /--steps was given twice \('10' and '20'\)/.test(e.message));
  assert.throws(() => parseArgs(['--lr=0.1', '--lr', '0.2'], specs), /--lr was given twice \('0.1' and '0.2'\)/);
  // booleans may be repeated (the last wins, as with --no-x overriding an earlier --x)
  assert.equal(parseArgs(['--quiet', '--no-quiet'], specs).flags.quiet, false);
});
