import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import {
  BrowserOperator,
  ComputerOperator,
  ConfirmingOperator,
  DEFAULT_CHROMIUM,
  OpenAIChatClient,
  runAgent,
  type AgentResult,
  type ModelVersion,
  type Operator,
  type StepRecord,
} from '../../agent/index.ts';

/** Exit codes of `genlab agent`. */
export const AGENT_EXIT = { finished: 0, error: 1, call_user: 3, max_steps: 4, aborted: 130 } as const;

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

function printStep(s: StepRecord): void {
  const acts = s.actions.map((a) => a.description).join('; ');
  const thought = s.thought ? `  — ${clip(s.thought, 100)}` : '';
  console.log(`step ${String(s.index).padStart(2)}  ${acts || '(no action)'}${thought}`);
  if (s.error) console.log(`         ${s.error.kind} error: ${s.error.message}`);
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'Run a UI-TARS GUI agent on a web page (headless Chromium) or an X11 desktop (OpenAI-compatible model endpoint)',
  usage: '"<instruction>" (--url <page> | --operator computer [--display :99]) --model-endpoint <url> --model <name> [flags]',
  flags: {
    url: { type: 'string', help: 'page to open first (browser operator)' },
    operator: { type: 'string', choices: ['browser', 'computer'], default: 'browser', help: 'browser: headless Chromium page; computer: the whole X11 screen' },
    display: { type: 'string', help: 'X display for --operator computer, e.g. :99 (default $DISPLAY)' },
    confirm: { type: 'bool', default: false, help: 'ask before each action (y = do it, anything else stops the run)' },
    'stop-key': { type: 'string', default: 'ctrl+alt+shift+escape', help: 'hotkey that stops a computer run (grabbed on the X display); "none" to disable' },
    'model-endpoint': { type: 'string', help: 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (or GENLAB_AGENT_ENDPOINT)' },
    model: { type: 'string', help: 'model name on the endpoint, e.g. ui-tars-1.5-7b (or GENLAB_AGENT_MODEL)' },
    version: { type: 'string', choices: ['1.0', '1.5'], default: '1.5', help: 'UI-TARS version: prompt and coordinate space' },
    'max-steps': { type: 'int', default: 30, help: 'stop after this many steps' },
    out: { type: 'string', help: 'trajectory folder (default agent-runs/<time>)' },
    dpr: { type: 'float', default: 1, help: 'device pixel ratio of the browser' },
    width: { type: 'int', default: 1280, help: 'viewport width, CSS pixels' },
    height: { type: 'int', default: 800, help: 'viewport height, CSS pixels' },
    language: { type: 'string', default: 'English', help: 'language of the model\'s Thought' },
    timeout: { type: 'float', default: 120, help: 'seconds per model request' },
    retries: { type: 'int', default: 3, help: 'retries of a failed model request (timeouts, 429, 5xx, connection errors)' },
    'max-tokens': { type: 'int', default: 1000, help: 'max_tokens of each request' },
    'history-images': { type: 'int', default: 5, help: 'screenshots kept in each request' },
    chromium: { type: 'string', default: DEFAULT_CHROMIUM, help: 'Chromium executable (or GENLAB_CHROMIUM)' },
  },
  async run(positional, flags): Promise<number> {
    const instruction = positional.join(' ').trim();
    if (!instruction) throw new UsageError('give the instruction as the first argument, e.g. genlab agent "Search for genlab" --url …');
    const url = flags.url as string | undefined;
    const kind = flags.operator as 'browser' | 'computer';
    if (kind === 'browser' && !url) throw new UsageError('--url is required (or use --operator computer)');
    if (kind === 'computer' && url) throw new UsageError('--url is for the browser operator; the computer operator acts on the screen as it is');
    const endpoint = (flags['model-endpoint'] as string | undefined) ?? process.env.GENLAB_AGENT_ENDPOINT;
    if (!endpoint) throw new UsageError('--model-endpoint is required (or set GENLAB_AGENT_ENDPOINT)');
    const modelName = (flags.model as string | undefined) ?? process.env.GENLAB_AGENT_MODEL;
    if (!modelName) throw new UsageError('--model is required (or set GENLAB_AGENT_MODEL)');
    const maxSteps = flags['max-steps'] as number;
    const dpr = flags.dpr as number;
    const width = flags.width as number;
    const height = flags.height as number;
    if (maxSteps < 1) throw new UsageError('--max-steps must be at least 1');
    if (!(dpr > 0 && dpr <= 4)) throw new UsageError('--dpr must be in (0, 4]');
    if (width < 100 || height < 100) throw new UsageError('--width and --height must be at least 100');
    const chromium = process.env.GENLAB_CHROMIUM && flags.chromium === DEFAULT_CHROMIUM ? process.env.GENLAB_CHROMIUM : (flags.chromium as string);
    const display = (flags.display as string | undefined) ?? process.env.DISPLAY;
    if (kind === 'computer' && !display) {
      console.error('genlab agent: --operator computer needs an X display: pass --display :N or set DISPLAY (nothing was started)');
      return 1;
    }
    if (kind === 'browser' && !existsSync(chromium)) {
      console.error(`genlab agent: Chromium not found at ${chromium}; install it (Debian: apt-get install chromium) or pass --chromium`);
      return 1;
    }
    const out = resolve((flags.out as string | undefined) ?? `agent-runs/${stamp()}`);
    const version = flags.version as ModelVersion;

    const model = new OpenAIChatClient({
      endpoint,
      model: modelName,
      timeoutMs: Math.round((flags.timeout as number) * 1000),
      maxRetries: flags.retries as number,
      maxTokens: flags['max-tokens'] as number,
      onRetry: (e, attempt, delay) => console.log(`         model request failed (${e.message}); retry ${attempt} in ${(delay / 1000).toFixed(1)} s`),
    });
    console.log(`genlab agent: UI-TARS ${version} "${modelName}" at ${model.url}`);
    let operator: Operator;
    let stopSignal: AbortSignal | undefined;
    if (kind === 'computer') {
      const stopKey = flags['stop-key'] as string;
      try {
        const op = await ComputerOperator.connect({ display: display!, ...(stopKey !== 'none' ? { stopKeys: stopKey.split('+') } : {}) });
        operator = op;
        stopSignal = op.stopSignal;
        const size = await op.display.size();
        console.log(`screen: X display ${display} (${size.width}x${size.height}); ${stopKey !== 'none' ? `press ${stopKey} to stop; ` : ''}trajectory: ${out}`);
      } catch (e) {
        console.error(`genlab agent: ${(e as Error).message} (nothing was started)`);
        return 1;
      }
    } else {
      console.log(`browser: ${url} (${width}x${height} at DPR ${dpr}); trajectory: ${out}`);
      try {
        operator = await BrowserOperator.launch({ url: url!, width, height, deviceScaleFactor: dpr, executablePath: chromium });
      } catch (e) {
        console.error(`genlab agent: cannot open ${url} in Chromium: ${(e as Error).message.split('\n')[0]}`);
        return 1;
      }
    }
    const ctl = new AbortController();
    const onSigint = () => {
      console.log('\ninterrupted: stopping after the current request');
      ctl.abort();
    };
    process.once('SIGINT', onSigint);
    const confirm = flags.confirm as boolean;
    let rl: ReturnType<typeof createInterface> | undefined;
    if (confirm) {
      rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
      const lines = rl[Symbol.asyncIterator]();
      operator = new ConfirmingOperator(operator, async (description) => {
        process.stdout.write(`         do ${description}? [y/N] `);
        const next = await lines.next();
        const yes = !next.done && /^y(es)?$/i.test(next.value.trim());
        if (!yes) {
          console.log('declined: stopping the run');
          ctl.abort();
        }
        return yes;
      });
    }
    const onStop = () => console.log('\nstop hotkey pressed: stopping');
    stopSignal?.addEventListener('abort', onStop, { once: true });
    let result: AgentResult;
    try {
      result = await runAgent({
        instruction,
        operator,
        model,
        version,
        language: flags.language as string,
        maxSteps,
        maxImages: flags['history-images'] as number,
        signal: stopSignal ? AbortSignal.any([ctl.signal, stopSignal]) : ctl.signal,
        outDir: out,
        onStep: printStep,
      });
    } finally {
      process.off('SIGINT', onSigint);
      stopSignal?.removeEventListener('abort', onStop);
      rl?.close();
      await operator.close?.();
    }
    const n = result.steps.length;
    const detail = result.error ? ` — ${result.error.kind}${result.error.detail ? `/${result.error.detail}` : ''}: ${result.error.message}` : '';
    console.log(`status: ${result.status} after ${n} step${n === 1 ? '' : 's'}${detail}`);
    if (result.finalAnswer) console.log(`answer: ${result.finalAnswer}`);
    if (result.trajectoryDir) console.log(`trajectory: ${resolve(result.trajectoryDir, 'trajectory.json')} (open ${resolve(result.trajectoryDir, 'index.html')})`);
    if (result.trajectoryError) console.error(`genlab agent: ${result.trajectoryError}`);
    return AGENT_EXIT[result.status];
  },
};
