/**
 * Typed UI-TARS actions. The parser turns model text into these; operators turn these into input events.
 *
 * Positions are normalized: `x` and `y` are fractions of the screenshot the model saw ([0, 1]), so they do
 * not depend on the model version's coordinate space nor on the device pixel ratio.
 */

/** A place on the screenshot the model pointed at. */
export interface Target {
  /** Center of the box (or the point itself), as fractions of the screenshot width / height. */
  x: number;
  y: number;
  /** The box `[x1, y1, x2, y2]` in fractions; a point gives `x1 = x2`, `y1 = y2`. */
  box: [number, number, number, number];
  /** The numbers as the model wrote them (2 or 4, in the model's coordinate space). */
  model: number[];
  /** The argument text as written, e.g. `<|box_start|>(412,230)<|box_end|>`. */
  raw: string;
}

export type Direction = 'up' | 'down' | 'left' | 'right';

interface Base {
  /** The call as the model wrote it, e.g. `click(start_box='(412,230)')`. */
  source: string;
}

export type Action = Base &
  (
    | { type: 'click'; target: Target }
    | { type: 'left_double'; target: Target }
    | { type: 'right_single'; target: Target }
    | { type: 'hover'; target: Target }
    | { type: 'long_press'; target: Target }
    | { type: 'drag'; start: Target; end: Target }
    | { type: 'swipe'; start: Target; end?: Target; direction?: Direction }
    | { type: 'scroll'; target?: Target; direction: Direction }
    /** Keys as the model wrote them, lowercased, e.g. `['ctrl', 'c']`. */
    | { type: 'hotkey'; keys: string[] }
    /** Press and hold one key (`press`/`keydown`); released by a later `release`/`keyup`. */
    | { type: 'key_down'; key: string }
    | { type: 'key_up'; key: string }
    /**
     * Text to type, escapes decoded (`\n` is a newline). `submit` is true when the content ended with a
     * newline: the text is typed without it, then Enter is pressed (the trained convention).
     */
    | { type: 'type'; content: string; text: string; submit: boolean }
    | { type: 'wait' }
    | { type: 'finished'; content: string }
    | { type: 'call_user' }
    | { type: 'navigate'; url: string }
    | { type: 'navigate_back' }
    | { type: 'open_app'; appName: string }
    | { type: 'press_home' }
    | { type: 'press_back' }
  );

export type ActionType = Action['type'];

/** One model answer, parsed. */
export interface ParsedPrediction {
  /** The whole model text. */
  raw: string;
  /** Content of a leading `<think>…</think>` block, if any. */
  think?: string;
  /** `Reflection:` of the reflection format, if any. */
  reflection?: string;
  /** `Thought:` (or `Action_Summary:` of the reflection format); '' when the answer had none. */
  thought: string;
  /** The text after `Action:`. */
  actionText: string;
  actions: Action[];
}

/** Actions that end the run instead of touching the screen. */
export function isTerminal(a: Action): a is Extract<Action, { type: 'finished' | 'call_user' }> {
  return a.type === 'finished' || a.type === 'call_user';
}

/** The normalized points an action touches (for drawing and logs). */
export function actionPoints(a: Action): { x: number; y: number }[] {
  switch (a.type) {
    case 'click':
    case 'left_double':
    case 'right_single':
    case 'hover':
    case 'long_press':
      return [a.target];
    case 'drag':
      return [a.start, a.end];
    case 'swipe':
      return a.end ? [a.start, a.end] : [a.start];
    case 'scroll':
      return a.target ? [a.target] : [];
    default:
      return [];
  }
}

/** A unit step in a direction, screen axes (y grows downwards). */
export function directionVector(d: Direction): { x: number; y: number } {
  return d === 'up' ? { x: 0, y: -1 } : d === 'down' ? { x: 0, y: 1 } : d === 'left' ? { x: -1, y: 0 } : { x: 1, y: 0 };
}

/** One line describing an action, with positions in the given units (e.g. CSS pixels). */
export function describeAction(a: Action, width = 1, height = 1): string {
  const p = (t: { x: number; y: number }) => `(${fmt(t.x * width)}, ${fmt(t.y * height)})`;
  switch (a.type) {
    case 'click':
    case 'left_double':
    case 'right_single':
    case 'hover':
    case 'long_press':
      return `${a.type} ${p(a.target)}`;
    case 'drag':
      return `drag ${p(a.start)} -> ${p(a.end)}`;
    case 'swipe':
      return `swipe ${p(a.start)}${a.end ? ` -> ${p(a.end)}` : ''}${a.direction ? ` ${a.direction}` : ''}`;
    case 'scroll':
      return `scroll ${a.direction}${a.target ? ` at ${p(a.target)}` : ''}`;
    case 'hotkey':
      return `hotkey ${a.keys.join('+')}`;
    case 'key_down':
      return `key down ${a.key}`;
    case 'key_up':
      return `key up ${a.key}`;
    case 'type':
      return `type ${JSON.stringify(a.text)}${a.submit ? ' + Enter' : ''}`;
    case 'finished':
      return a.content ? `finished: ${a.content}` : 'finished';
    case 'navigate':
      return `navigate ${a.url}`;
    case 'open_app':
      return `open_app ${a.appName}`;
    default:
      return a.type;
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
