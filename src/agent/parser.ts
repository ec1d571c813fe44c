/**
 * From UI-TARS model text to typed actions.
 *
 * Accepted answer shapes (any of them may be wrapped in a ``` fence):
 *   [<think>…</think>] Thought: … \n Action: call(…) [\n\n call(…) …]
 *   Reflection: … Action_Summary: … \n Action: call(…)
 *   Action_Summary: … \n Action: call(…)
 *   Action: call(…)            (grounding)      call(…)   (bare call)
 * `Action：` with a full-width colon is accepted. Arguments are Python-style keyword arguments with '…' or
 * "…" strings and Python escapes (\' \" \n \\ …). Points and boxes are accepted in every published format:
 *   <|box_start|>(x,y)<|box_end|>   (x,y)   [x1, y1, x2, y2]   x1, y1, x2, y2   <bbox>x1 y1 x2 y2</bbox>
 *   <point>x y</point>   with argument names start_box / end_box / point / start_point / end_point.
 *
 * Malformed text is never guessed at: it raises an ActionParseError that carries the offending text.
 */
import type { Action, Direction, ParsedPrediction, Target } from './actions.ts';
import type { CoordinateSpace } from './coordinates.ts';
import { spaceExtent } from './coordinates.ts';

export class ActionParseError extends Error {
  override name = 'ActionParseError';
  /** The whole model text. */
  readonly text: string;
  /** The part of it that could not be parsed. */
  readonly fragment: string;
  constructor(reason: string, text: string, fragment: string) {
    super(`${reason}: ${JSON.stringify(clip(fragment, 200))}`);
    this.reason = reason;
    this.text = text;
    this.fragment = fragment;
  }
  readonly reason: string;
}

export interface ParseOptions {
  /** The model's coordinate space (see coordinateSpaceFor). */
  space: CoordinateSpace;
  /**
   * Reject coordinates outside the model's space (a fraction outside [0, 1]) instead of passing a point off the
   * screenshot to an operator. Default true.
   */
  checkBounds?: boolean;
}

/** Parses one model answer. Throws ActionParseError on malformed text. */
export function parsePrediction(text: string, options: ParseOptions): ParsedPrediction {
  if (typeof text !== 'string') throw new ActionParseError('model text is not a string', String(text), String(text));
  let t = text.replace(/\r\n?/g, '\n').trim();
  t = t.replace(/(?:<\|im_end\|>|<\|endoftext\|>|\[EOS\])\s*$/g, '').trim();
  // A fence copied from the prompt's "## Output Format" block.
  const fence = /^```[\w-]*\n([\s\S]*?)\n?```$/.exec(t);
  if (fence) t = fence[1]!.trim();

  let think: string | undefined;
  const thinkMatch = /^<(think[\w-]*)>([\s\S]*?)<\/\1\s*>/.exec(t);
  if (thinkMatch) {
    think = thinkMatch[2]!.trim();
    t = t.slice(thinkMatch[0].length).trim();
  } else if (/^<think[\w-]*>/.test(t)) {
    throw new ActionParseError('unclosed <think> block', text, t);
  }
  if (t === '') throw new ActionParseError('empty model answer', text, text);

  const { header, actionText } = splitAtAction(t, text);
  let thought = '';
  let reflection: string | undefined;
  const refl = /Reflection:\s*([\s\S]*?)\s*Action_Summary:\s*([\s\S]*)$/.exec(header);
  const summary = /^Action_Summary:\s*([\s\S]*)$/.exec(header);
  const th = /Thought\s*[:：]\s*([\s\S]*)$/.exec(header);
  if (refl) {
    reflection = refl[1]!.trim();
    thought = refl[2]!.trim();
  } else if (summary) {
    thought = summary[1]!.trim();
  } else if (th) {
    thought = th[1]!.trim();
  }

  const calls = parseCalls(actionText, text);
  if (calls.length === 0) throw new ActionParseError('no action after "Action:"', text, t);
  const actions = calls.map((c) => toAction(c, options, text));
  const out: ParsedPrediction = { raw: text, thought, actionText, actions };
  if (think !== undefined) out.think = think;
  if (reflection !== undefined) out.reflection = reflection;
  return out;
}

/** Parses only an action list, e.g. `click(start_box='(1,2)')\n\ntype(content='x')`. */
export function parseActions(actionText: string, options: ParseOptions): Action[] {
  return parseCalls(actionText.trim(), actionText).map((c) => toAction(c, options, actionText));
}

// ---------------------------------------------------------------------------------------------------------
// Locating "Action:"

const LINE_MARKER = /(^|\n)[ \t]*Action[ \t]*[:：][ \t]*/g;
const ANY_MARKER = /Action[ \t]*[:：][ \t]*/g;

function splitAtAction(t: string, text: string): { header: string; actionText: string } {
  LINE_MARKER.lastIndex = 0;
  const line = LINE_MARKER.exec(t);
  if (line) {
    return { header: t.slice(0, line.index), actionText: t.slice(line.index + line[0].length).trim() };
  }
  // "Thought: … Action: click(…)" on one line: the last marker, as the reference parsers do.
  let last: RegExpExecArray | null = null;
  ANY_MARKER.lastIndex = 0;
  for (let m = ANY_MARKER.exec(t); m; m = ANY_MARKER.exec(t)) last = m;
  if (last) return { header: t.slice(0, last.index), actionText: t.slice(last.index + last[0].length).trim() };
  if (/^[A-Za-z_]\w*[ \t]*\(/.test(t)) return { header: '', actionText: t };
  throw new ActionParseError('no "Action:" in the model answer', text, t);
}

// ---------------------------------------------------------------------------------------------------------
// Python-style calls

interface RawValue {
  /** Decoded string for a quoted value; trimmed text for a bare one. */
  text: string;
  quoted: boolean;
  raw: string;
}

interface RawCall {
  name: string;
  kwargs: Map<string, RawValue>;
  positional: RawValue[];
  source: string;
}

const CALL_HEAD = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(/;
const KEY_HEAD = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*=(?!=)[ \t]*/;
/** What may follow a closing quote: the next argument, the end of the call, or a truncated end of text. */
const AFTER_QUOTE = /^\s*(?:,\s*(?:[A-Za-z_]\w*\s*=|['"])|\)\s*(?:$|(?:Action[ \t]*[:：]\s*)?[A-Za-z_]\w*[ \t]*\()|$)/;

function parseCalls(src: string, text: string): RawCall[] {
  const calls: RawCall[] = [];
  const n = src.length;
  let i = 0;
  for (;;) {
    // Separators between actions: blank lines, and a repeated "Action:" marker.
    for (;;) {
      const ws = /^\s+/.exec(src.slice(i));
      if (ws) i += ws[0].length;
      const mk = /^Action[ \t]*[:：]/.exec(src.slice(i));
      if (mk && i > 0) i += mk[0].length;
      else break;
    }
    if (i >= n) break;
    const head = CALL_HEAD.exec(src.slice(i));
    if (!head) throw new ActionParseError('expected an action call such as click(...)', text, src.slice(i));
    const start = i;
    i += head[0].length;
    const kwargs = new Map<string, RawValue>();
    const positional: RawValue[] = [];
    for (;;) {
      while (i < n && /\s/.test(src[i]!)) i++;
      if (i >= n) break; // a missing final ')' (truncated answer) is tolerated
      if (src[i] === ')') {
        i++;
        break;
      }
      const key = KEY_HEAD.exec(src.slice(i));
      if (key) i += key[0].length;
      const v = readValue(src, i, text);
      i = v.end;
      if (key) {
        if (kwargs.has(key[1]!)) throw new ActionParseError(`argument '${key[1]}' given twice`, text, src.slice(start, i));
        kwargs.set(key[1]!, v.value);
      } else {
        if (kwargs.size > 0) throw new ActionParseError('positional argument after keyword argument', text, src.slice(start, i));
        positional.push(v.value);
      }
      while (i < n && /\s/.test(src[i]!)) i++;
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === ')') {
        i++;
        break;
      }
      if (i >= n) break;
      throw new ActionParseError("expected ',' or ')' after an argument", text, src.slice(start));
    }
    // After a call: only whitespace, or the next call.
    calls.push({ name: head[1]!, kwargs, positional, source: src.slice(start, i).trim() });
    const rest = /^[ \t]*/.exec(src.slice(i))![0].length;
    const next = src.slice(i + rest);
    if (next !== '' && !next.startsWith('\n') && !CALL_HEAD.test(next)) {
      throw new ActionParseError('unexpected text after an action call', text, src.slice(start));
    }
  }
  return calls;
}

function readValue(src: string, i: number, text: string): { value: RawValue; end: number } {
  const q = src[i];
  if (q === "'" || q === '"') {
    let lastClose = -1;
    for (let j = i + 1; j < src.length; j++) {
      const c = src[j];
      if (c === '\\') {
        j++;
        continue;
      }
      if (c !== q) continue;
      lastClose = j;
      // An unescaped quote closes the string only where an argument list can go on from it; models often
      // leave quotes inside content unescaped (type(content='it's')).
      if (AFTER_QUOTE.test(src.slice(j + 1))) {
        const raw = src.slice(i, j + 1);
        return { value: { text: unescapePython(src.slice(i + 1, j)), quoted: true, raw }, end: j + 1 };
      }
    }
    if (lastClose < 0) throw new ActionParseError('unterminated string', text, src.slice(i));
    // No quote fits: take the last one and let the caller report what follows it.
    return { value: { text: unescapePython(src.slice(i + 1, lastClose)), quoted: true, raw: src.slice(i, lastClose + 1) }, end: lastClose + 1 };
  }
  // Unquoted: up to ',' or ')' outside brackets, e.g. start_box=(100,200) or direction=down.
  let depth = 0;
  let j = i;
  for (; j < src.length; j++) {
    const c = src[j]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ')') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
    else if (c === '\n' && depth === 0) break;
  }
  const raw = src.slice(i, j);
  if (raw.trim() === '') throw new ActionParseError('missing argument value', text, src.slice(i));
  return { value: { text: raw.trim(), quoted: false, raw }, end: j };
}

/** Decodes a Python string literal body (the part between the quotes). */
export function unescapePython(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|[\s\S])/g, (m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '\\':
        return '\\';
      case "'":
        return "'";
      case '"':
        return '"';
      case '\n':
        return '';
      case 'u':
      case 'x':
        return e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : m;
      default:
        return m; // Python keeps unknown escapes as written
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Calls to typed actions

const NAME_ALIASES: Record<string, string> = {
  left_single: 'click',
  left_click: 'click',
  double_click: 'left_double',
  right_click: 'right_single',
  select: 'drag',
  keydown: 'press',
  key_down: 'press',
  keyup: 'release',
  key_up: 'release',
};

function toAction(call: RawCall, options: ParseOptions, text: string): Action {
  const name = NAME_ALIASES[call.name] ?? call.name;
  const source = call.source;
  const fail = (reason: string): never => {
    throw new ActionParseError(`${call.name}: ${reason}`, text, source);
  };
  const arg = (names: string[], positionalIndex?: number): RawValue | undefined => {
    for (const n of names) {
      const v = call.kwargs.get(n);
      if (v !== undefined) return v;
    }
    return positionalIndex !== undefined ? call.positional[positionalIndex] : undefined;
  };
  const target = (names: string[], positionalIndex: number | undefined, required: boolean): Target | undefined => {
    const v = arg(names, positionalIndex);
    if (v === undefined || v.text.trim() === '') {
      if (required) fail(`missing ${names[0]}`);
      return undefined;
    }
    return parseTarget(v, options, (reason) => fail(reason));
  };
  const START = ['start_box', 'point', 'start_point'];
  const END = ['end_box', 'end_point'];
  switch (name) {
    case 'click':
    case 'left_double':
    case 'right_single':
    case 'hover':
    case 'long_press':
      return { type: name, target: target(START, 0, true)!, source };
    case 'drag':
      return { type: 'drag', start: target(START, 0, true)!, end: target(END, 1, true)!, source };
    case 'swipe': {
      const start = target(START, 0, true)!;
      const end = target(END, undefined, false);
      const dir = arg(['direction']);
      const direction = dir ? parseDirection(dir.text, fail) : undefined;
      if (!end && !direction) fail('needs end_box or direction');
      const a: Action = { type: 'swipe', start, source };
      if (end) a.end = end;
      if (direction) a.direction = direction;
      return a;
    }
    case 'scroll': {
      const t = target(START, undefined, false);
      const dir = arg(['direction']);
      if (!dir) {
        const end = target(END, undefined, false);
        // The mobile form scroll(start_box, end_box) is a swipe gesture.
        if (t && end) return { type: 'swipe', start: t, end, source };
        return fail('missing direction');
      }
      const direction = parseDirection(dir.text, fail);
      return t ? { type: 'scroll', target: t, direction, source } : { type: 'scroll', direction, source };
    }
    case 'hotkey': {
      const v = arg(['key', 'hotkey', 'keys'], 0);
      const keys = (v?.text ?? '').split(/[\s+]+/).filter(Boolean).map((k) => k.toLowerCase());
      if (keys.length === 0) fail('missing key');
      return { type: 'hotkey', keys, source };
    }
    case 'press':
    case 'release': {
      const v = arg(['key', 'press', 'release'], 0);
      const key = (v?.text ?? '').trim().toLowerCase();
      if (!key) fail('missing key');
      return { type: name === 'press' ? 'key_down' : 'key_up', key, source };
    }
    case 'press_enter':
      return { type: 'hotkey', keys: ['enter'], source };
    case 'type': {
      const v = arg(['content', 'text'], 0);
      if (!v) fail('missing content');
      const content = v!.text;
      // The trained convention: a trailing newline submits. A literal backslash-n (the model escaped twice)
      // counts too, as in the reference executors.
      const m = /(?:\n|\\n)$/.exec(content);
      return { type: 'type', content, text: m ? content.slice(0, m.index) : content, submit: !!m, source };
    }
    case 'wait':
      return { type: 'wait', source };
    case 'finished':
      return { type: 'finished', content: arg(['content', 'answer'], 0)?.text ?? '', source };
    case 'call_user':
      return { type: 'call_user', source };
    case 'navigate': {
      const v = arg(['content', 'url'], 0);
      const url = v?.text.trim() ?? '';
      if (!url) fail('missing url');
      return { type: 'navigate', url, source };
    }
    case 'navigate_back':
      return { type: 'navigate_back', source };
    case 'open_app': {
      const v = arg(['app_name', 'app', 'content'], 0);
      const appName = v?.text.trim() ?? '';
      if (!appName) fail('missing app_name');
      return { type: 'open_app', appName, source };
    }
    case 'press_home':
      return { type: 'press_home', source };
    case 'press_back':
      return { type: 'press_back', source };
    default:
      return fail(`unknown action '${call.name}'`);
  }
}

function parseDirection(s: string, fail: (reason: string) => never): Direction {
  const words = s.toLowerCase().match(/\b(up|down|left|right)\b/g) ?? [];
  const set = new Set(words);
  if (set.size !== 1) return fail(`direction must be one of up, down, left, right; got '${s}'`);
  return words[0] as Direction;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)$/;

function parseTarget(v: RawValue, options: ParseOptions, fail: (reason: string) => never): Target {
  const s = v.text
    .replace(/<\|box_start\|>|<\|box_end\|>|<\/?bbox>|<\/?point>/g, ' ')
    .replace(/[()[\]]/g, ' ');
  const parts = s.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0 || !parts.every((p) => NUMBER.test(p))) fail(`'${v.text}' is not a point or a box`);
  if (parts.length !== 2 && parts.length !== 4) fail(`'${v.text}' has ${parts.length} numbers; a point has 2, a box 4`);
  const model = parts.map(Number);
  const [w, h] = spaceExtent(options.space);
  const n = model.map((x, i) => x / (i % 2 === 0 ? w : h));
  if (options.checkBounds !== false && n.some((x) => x < 0 || x > 1)) {
    fail(`'${v.text}' lies outside the model's ${w}x${h} coordinate space`);
  }
  const box: [number, number, number, number] = n.length === 2 ? [n[0]!, n[1]!, n[0]!, n[1]!] : [n[0]!, n[1]!, n[2]!, n[3]!];
  return { x: (box[0] + box[2]) / 2, y: (box[1] + box[3]) / 2, box, model, raw: v.raw };
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
