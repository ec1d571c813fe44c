import type { Command } from '../command.ts';

/** Every `genlab` subcommand, in the order `genlab --help` lists them. */
export const commands: Command[] = [];
commands.push(
  (await import('./list.ts')).listCommand,
  (await import('./train.ts')).trainCommand,
  (await import('./sample.ts')).sampleCommand,
  (await import('./eval.ts')).evalCommand,
  (await import('./demo.ts')).demoCommand,
);
commands.push((await import('./agent.ts')).agentCommand);
commands.push((await import('./launch.ts')).launchCommand);
commands.push((await import('./serve.ts')).serveCommand);
commands.push((await import('./experiment.ts')).experimentCommand);
