/**
 * What the agent loop needs from an environment: a screenshot, and a way to carry out one action.
 */
import type { Action } from '../actions.ts';

export interface Screenshot {
  /** PNG bytes. */
  png: Buffer;
  /** Image size in pixels (what the model sees). */
  width: number;
  height: number;
  /**
   * Image pixels per operator input unit: the device pixel ratio for a browser (CSS px -> device px),
   * 1 for an X11 screen.
   */
  scale: number;
}

/**
 * Something the environment did around an action that the screenshot may not show: a new tab or window that the
 * operator switched to, a JavaScript dialog it answered, a download it saved, a file chooser it answered, a
 * change of the page or screen size.
 */
export interface OperatorEvent {
  kind: 'new_tab' | 'tab_closed' | 'dialog' | 'download' | 'file_chooser' | 'resize';
  /** One line for people, e.g. `confirm("Delete?") accepted`. */
  message: string;
  /** Machine-readable details (URL, dialog type and text, file path and size, …). */
  detail?: Record<string, string | number | boolean | string[]>;
}

export interface ExecuteResult {
  /** What happened around the action (in order). */
  events?: OperatorEvent[];
  /** The positions the action touched, in the operator's input units (CSS pixels for a browser). */
  points?: { x: number; y: number }[];
  /** A short note for the trajectory, e.g. "navigated to http://…". */
  note?: string;
}

export interface Operator {
  readonly name: string;
  /** The prompt template whose action space this operator implements. */
  readonly template: 'computer' | 'browser' | 'mobile';
  screenshot(signal?: AbortSignal): Promise<Screenshot>;
  execute(action: Action, screenshot: Screenshot, signal?: AbortSignal): Promise<ExecuteResult>;
  close?(): Promise<void>;
}

/** The environment is gone (browser closed, display died): retrying cannot help. */
export class OperatorClosedError extends Error {
  override name = 'OperatorClosedError';
}

/** The operator cannot perform this action (e.g. press_home in a browser, an unknown key). */
export class UnsupportedActionError extends Error {
  override name = 'UnsupportedActionError';
}
