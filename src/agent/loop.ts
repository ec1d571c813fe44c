/**
 * The agent loop: screenshot -> model -> parse -> execute, until the model says `finished()` or
 * `call_user()`, the step limit, an abort, or an error. Never throws for a failing environment or model:
 * every run ends with a status, and (with `outDir`) a trajectory on disk.
 */
import { describeAction, type Action } from './actions.ts';
import {
  coordinateSpaceFor,
  defaultCoordinateMode,
  type CoordinateMode,
  type CoordinateSpace,
  type ModelVersion,
  type SmartResizeOptions,
} from './coordinates.ts';
import { buildMessages, ModelError, sleep, type HistoryTurn, type ModelClient } from './model-client.ts';
import { OperatorClosedError, UnsupportedActionError, type Operator, type Screenshot } from './operators/operator.ts';
import { ActionParseError, parsePrediction } from './parser.ts';
import { buildPrompt, type PromptStyle } from './prompts.ts';
import {
  TrajectoryWriter,
  type ActionRecord,
  type AgentError,
  type AgentErrorKind,
  type AgentStatus,
  type StepRecord,
  type TrajectoryRecord,
} from './trajectory.ts';

export interface AgentOptions {
  instruction: string;
  operator: Operator;
  model: ModelClient;
  /** UI-TARS version: picks the prompt style and coordinate space. Default '1.5'. */
  version?: ModelVersion;
  /** Override the coordinate space (default: relative-1000 for 1.0, smart-resize for 1.5). */
  coordinateMode?: CoordinateMode;
  /** smart_resize parameters; must match the server's image processor (defaults: the UI-TARS-1.5 ones). */
  smartResize?: SmartResizeOptions;
  promptStyle?: PromptStyle;
  /** Language of the model's Thought. Default 'English'. */
  language?: string;
  /** A complete prompt instead of the built-in template. */
  prompt?: string;
  /** Optional system message before the prompt. */
  systemMessage?: string;
  /** Default 100, as the reference SDK. */
  maxSteps?: number;
  /** Screenshots kept in the request. Default 5. */
  maxImages?: number;
  /** Consecutive failed screenshots that end the run. Default 3. */
  maxScreenshotFailures?: number;
  screenshotRetryDelayMs?: number;
  /** Times to ask again after an unparsable answer before giving up. Default 0. */
  parseRetries?: number;
  signal?: AbortSignal;
  /** Write the trajectory (trajectory.json, step PNGs, index.html) here. */
  outDir?: string;
  /** Called after each step, finished or failed. */
  onStep?: (step: StepRecord) => void | Promise<void>;
}

export interface AgentResult {
  status: Exclude<AgentStatus, 'running'>;
  error?: AgentError;
  finalAnswer?: string;
  steps: StepRecord[];
  /** The folder holding the trajectory, when outDir was given and writing worked. */
  trajectoryDir?: string;
  /** Set when the trajectory could not be written. */
  trajectoryError?: string;
  record: TrajectoryRecord;
}

class Stop {
  constructor(
    readonly status: Exclude<AgentStatus, 'running'>,
    readonly error?: AgentError,
  ) {}
}

const fail = (kind: AgentErrorKind, message: string, detail?: string): Stop =>
  new Stop('error', detail ? { kind, message, detail } : { kind, message });

export async function runAgent(o: AgentOptions): Promise<AgentResult> {
  const version = o.version ?? '1.5';
  const mode = o.coordinateMode ?? defaultCoordinateMode(version);
  const prompt =
    o.prompt ??
    buildPrompt({ instruction: o.instruction, template: o.operator.template, style: o.promptStyle ?? version, language: o.language ?? 'English' });
  const maxSteps = o.maxSteps ?? 100;
  const signal = o.signal;
  const record: TrajectoryRecord = {
    format: 'genlab-agent-trajectory',
    version: 1,
    instruction: o.instruction,
    model: o.model.name,
    modelVersion: version,
    coordinateMode: mode,
    operator: o.operator.name,
    prompt,
    status: 'running',
    startedAt: new Date().toISOString(),
    steps: [],
  };
  const writer = o.outDir ? new TrajectoryWriter(o.outDir) : undefined;
  let trajectoryError: string | undefined;
  const save = async (fn: () => Promise<unknown>) => {
    if (!writer || trajectoryError) return;
    try {
      await fn();
    } catch (e) {
      trajectoryError = `cannot write trajectory to ${writer.dir}: ${(e as Error)?.message ?? e}`;
    }
  };
  await save(() => writer!.init());

  const turns: HistoryTurn[] = [];
  let outcome: Stop | undefined;
  let finalAnswer: string | undefined;

  for (let index = 1; !outcome; index++) {
    if (signal?.aborted) {
      outcome = new Stop('aborted');
      break;
    }
    if (index > maxSteps) {
      outcome = new Stop('max_steps');
      break;
    }
    const t0 = Date.now();
    const step: StepRecord = { index, startedAt: new Date(t0).toISOString(), actions: [] };
    record.steps.push(step);
    try {
      const shot = await takeScreenshot(o, signal);
      step.image = { width: shot.width, height: shot.height, scale: shot.scale };
      await save(async () => (step.screenshot = await writer!.saveStepImage(index, shot.png)));

      let space: CoordinateSpace;
      try {
        space = coordinateSpaceFor(mode, shot.width, shot.height, o.smartResize);
      } catch (e) {
        throw fail('environment', `screenshot ${shot.width}x${shot.height} cannot be used: ${(e as Error).message}`);
      }
      step.modelSpace = space.kind === 'relative' ? { kind: 'relative', factors: [space.factors[0], space.factors[1]] } : { ...space };

      turns.push({ screenshot: shot.png });
      const messages = buildMessages({ prompt, turns, maxImages: o.maxImages ?? 5, ...(o.systemMessage ? { system: o.systemMessage } : {}) });
      let parsed;
      for (let parseAttempt = 0; ; parseAttempt++) {
        let text: string;
        try {
          const c = await o.model.complete(messages, signal ? { signal } : {});
          text = c.text;
          step.modelAttempts = (step.modelAttempts ?? 0) + c.attempts;
        } catch (e) {
          if (signal?.aborted || (e instanceof ModelError && e.kind === 'aborted')) throw new Stop('aborted');
          if (e instanceof ModelError) {
            step.modelAttempts = (step.modelAttempts ?? 0) + e.attempts;
            throw fail('model', e.message, e.kind);
          }
          throw fail('model', (e as Error)?.message ?? String(e));
        }
        step.raw = text;
        try {
          parsed = parsePrediction(text, { space });
          break;
        } catch (e) {
          if (!(e instanceof ActionParseError)) throw e;
          if (parseAttempt < (o.parseRetries ?? 0)) continue;
          throw fail('parse', `cannot parse the model answer: ${e.message}`);
        }
      }
      turns[turns.length - 1]!.response = parsed.raw;
      if (parsed.think !== undefined) step.think = parsed.think;
      if (parsed.reflection !== undefined) step.reflection = parsed.reflection;
      step.thought = parsed.thought;
      const cssW = shot.width / shot.scale;
      const cssH = shot.height / shot.scale;
      step.actions = parsed.actions.map((a): ActionRecord => ({ action: a, description: describeAction(a, cssW, cssH) }));
      await save(async () => (step.screenshot = await writer!.saveStepImage(index, shot.png, parsed.actions)));

      for (const rec of step.actions) {
        if (signal?.aborted) throw new Stop('aborted');
        const a: Action = rec.action;
        if (a.type === 'finished') {
          finalAnswer = a.content;
          throw new Stop('finished');
        }
        if (a.type === 'call_user') throw new Stop('call_user');
        try {
          const r = await o.operator.execute(a, shot, signal);
          if (r.points) rec.executed = r.points;
          if (r.note) rec.note = r.note;
          if (r.events && r.events.length > 0) rec.events = r.events;
        } catch (e) {
          const msg = (e as Error)?.message ?? String(e);
          rec.error = msg;
          if (signal?.aborted) throw new Stop('aborted');
          if (e instanceof OperatorClosedError) throw fail('environment', msg);
          if (e instanceof UnsupportedActionError) throw fail('unsupported_action', msg);
          throw fail('execute', `${rec.description} failed: ${msg}`);
        }
      }
    } catch (e) {
      if (e instanceof Stop) outcome = e;
      else outcome = fail('internal', `${(e as Error)?.message ?? String(e)}`);
      if (outcome.error) step.error = outcome.error;
    }
    step.durationMs = Date.now() - t0;
    record.status = outcome?.status ?? 'running';
    await save(() => writer!.write(record));
    try {
      await o.onStep?.(step);
    } catch {
      // a failing observer must not end the run
    }
  }

  record.status = outcome!.status;
  if (outcome!.error) record.error = outcome!.error;
  if (finalAnswer !== undefined) record.finalAnswer = finalAnswer;
  record.endedAt = new Date().toISOString();
  await save(() => writer!.write(record));
  const result: AgentResult = { status: outcome!.status, steps: record.steps, record };
  if (outcome!.error) result.error = outcome!.error;
  if (finalAnswer !== undefined) result.finalAnswer = finalAnswer;
  if (writer && !trajectoryError) result.trajectoryDir = writer.dir;
  if (trajectoryError) result.trajectoryError = trajectoryError;
  return result;
}

async function takeScreenshot(o: AgentOptions, signal: AbortSignal | undefined): Promise<Screenshot> {
  const max = o.maxScreenshotFailures ?? 3;
  let last = '';
  for (let failures = 0; failures < max; ) {
    if (signal?.aborted) throw new Stop('aborted');
    try {
      const s = await o.operator.screenshot(signal);
      if (!s.png || s.png.length === 0 || !(s.width > 0 && s.height > 0)) throw new Error('empty screenshot');
      return s;
    } catch (e) {
      if (e instanceof OperatorClosedError) throw fail('environment', e.message);
      last = (e as Error)?.message ?? String(e);
      failures++;
      if (failures < max) await sleep(o.screenshotRetryDelayMs ?? 1000, signal).catch(() => {});
    }
  }
  throw fail('screenshot', `screenshot failed ${max} times in a row: ${last}`);
}
