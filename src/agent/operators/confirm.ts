/**
 * An operator wrapper that asks before each action (for a real display: `genlab agent --confirm`). A declined
 * action is not performed; the wrapper throws ActionDeclinedError, and the asker may also abort the run.
 */
import { describeAction, type Action } from '../actions.ts';
import type { ExecuteResult, Operator, Screenshot } from './operator.ts';

export class ActionDeclinedError extends Error {
  override name = 'ActionDeclinedError';
}

/** Answers whether to perform `action` (described in the operator's units, e.g. "click (640, 212)"). */
export type AskFn = (description: string, action: Action) => Promise<boolean>;

export class ConfirmingOperator implements Operator {
  readonly name: string;
  readonly template: Operator['template'];

  constructor(
    readonly inner: Operator,
    private readonly ask: AskFn,
  ) {
    this.name = inner.name;
    this.template = inner.template;
  }

  screenshot(signal?: AbortSignal): Promise<Screenshot> {
    return this.inner.screenshot(signal);
  }

  async execute(action: Action, shot: Screenshot, signal?: AbortSignal): Promise<ExecuteResult> {
    const description = describeAction(action, shot.width / shot.scale, shot.height / shot.scale);
    if (!(await this.ask(description, action))) throw new ActionDeclinedError(`declined by the user: ${description}`);
    return this.inner.execute(action, shot, signal);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
