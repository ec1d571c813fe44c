import type { FlagSpecs } from './args.ts';

/** One `genlab <name>` subcommand. Commands register in `commands/index.ts`. */
export interface Command {
  name: string;
  summary: string;
  /** Usage line after `genlab <name>`, e.g. `<model> --data <set>`. */
  usage: string;
  flags: FlagSpecs;
  /** Returns the process exit code. */
  run(positional: string[], flags: Record<string, string | number | boolean | undefined>): Promise<number>;
}
