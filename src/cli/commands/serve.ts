/** `genlab serve`: the dashboard in the browser (runs, curves, samples, compare, agent, 2D playground). */
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { startDashboard, isLoopback } from '../../server/index.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Dashboard in the browser: watch, compare and play with runs',
  usage: '[--runs runs/] [--port 8765] [--host 127.0.0.1]',
  flags: {
    runs: { type: 'string', default: 'runs', help: 'folder of runs to show (created when missing)' },
    'agent-runs': { type: 'string', default: 'agent-runs', help: 'folder of agent trajectories (runs/ is searched too)' },
    port: { type: 'int', default: 8765, help: 'port (0 picks a free one)' },
    host: { type: 'string', default: '127.0.0.1', help: 'address to bind; anything but loopback requires the printed token' },
    token: { type: 'string', help: 'the access token (default: random when --host is not loopback; none on loopback)' },
  },
  async run(_positional, flags): Promise<number> {
    const port = flags.port as number;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be in 0..65535, got ${port}`);
    const host = flags.host as string;
    const d = await startDashboard({ runs: flags.runs as string, agentRuns: flags['agent-runs'] as string, host, port, token: flags.token as string | undefined });
    console.log(`genlab dashboard: ${d.url}`);
    console.log(`  runs: ${d.index.root}${isLoopback(host) ? '' : `\n  bound to ${host}: every request needs the token in the URL above`}`);
    console.log('  Ctrl-C stops the server');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await d.close();
    return 0;
  },
};
