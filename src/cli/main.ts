import { parseArgs, formatFlags, UsageError } from './args.ts';
import { commands } from './commands/index.ts';

function topHelp(): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n');
  return `genlab — deep generative models in TypeScript on libtorch\n\nUsage: genlab <command> [flags]\n\nCommands:\n${rows}\n\nRun 'genlab <command> --help' for the flags of a command.`;
}

export function commandHelp(name: string): string {
  const c = commands.find((x) => x.name === name);
  if (!c) return topHelp();
  return `Usage: genlab ${c.name} ${c.usage}\n\n${c.summary}\n\nFlags:\n${formatFlags({ ...c.flags, help: { type: 'bool', help: 'show this help' } })}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp());
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`genlab: unknown command '${name}'; commands: ${commands.map((c) => c.name).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(name));
    return 0;
  }
  try {
    const { flags, positional } = parseArgs(rest, cmd.flags);
    return await cmd.run(positional, flags);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`genlab ${name}: ${e.message}`);
      return 2;
    }
    const err = e as Error;
    console.error(`genlab ${name}: ${err?.message ?? String(e)}`);
    if (process.env.GENLAB_DEBUG) console.error(err?.stack);
    return 1;
  }
}
