import type { Command } from '../command.ts';

/** Every `genlab` subcommand, in the order `genlab --help` lists them. */
export const commands: Command[] = [];
commands.push((await import('./agent.ts')).agentCommand);
