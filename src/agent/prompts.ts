/**
 * Prompts for UI-TARS models.
 *
 * A UI-TARS prompt has four sections: how to answer (`## Output Format`), the allowed calls
 * (`## Action Space`), a few notes (language of the thought, ...), and the task (`## User Instruction`).
 * The action-space lines below are the ones the published checkpoints were trained on, kept as they are
 * because the model copies their argument syntax; the surrounding prose is genlab's own.
 *
 * Styles:
 * - '1.0'   : UI-TARS 1.0 — boxes `[x1, y1, x2, y2]`, relative 0–1000 coordinates.
 * - '1.5'   : UI-TARS-1.5 (UI-TARS-desktop) — `<|box_start|>(x1,y1)<|box_end|>` points, absolute coordinates
 *             on the smart-resized screenshot.
 * - 'point' : the `<point>x y</point>` templates of the UI-TARS repository (computer, mobile, grounding).
 */

export type PromptTemplate = 'computer' | 'browser' | 'mobile' | 'grounding';
export type PromptStyle = '1.0' | '1.5' | 'point';

const BOX10 = "start_box='[x1, y1, x2, y2]'";
const BOX15 = "start_box='<|box_start|>(x1,y1)<|box_end|>'";
const PT = "point='<point>x1 y1</point>'";

const TYPE_NOTE =
  "# Use escape characters \\', \\\", and \\n in content part to ensure we can parse the content in normal python string format. If you want to submit your input, use \\n at the end of content.";
const FINISHED_NOTE =
  "# Use escape characters \\', \\\", and \\n in content part to ensure we can parse the content in normal python string format.";
const HOTKEY_NOTE = '# Split keys with a space and use lowercase. Also, do not use more than 3 keys in one hotkey action.';
const WAIT_NOTE = '# Sleep for 5s and take a screenshot to check for any changes.';
const SCROLL_NOTE = '# Show more information on the `direction` side.';
const CALL_USER_NOTE = "# Submit the task and call the user when the task is unsolvable, or when you need the user's help.";
const NAVIGATE = ["navigate(content='xxx') # The content is your target web's url", 'navigate_back() # Back to the last page'];

/** The action-space lines of each template and style. */
export const ACTION_SPACES: Record<PromptStyle, Record<PromptTemplate, readonly string[]>> = {
  '1.0': {
    computer: [
      `click(${BOX10})`,
      `left_double(${BOX10})`,
      `right_single(${BOX10})`,
      "drag(start_box='[x1, y1, x2, y2]', end_box='[x3, y3, x4, y4]')",
      "hotkey(key='')",
      "type(content='') #If you want to submit your input, use \"\\n\" at the end of `content`.",
      `scroll(${BOX10}, direction='down or up or right or left')`,
      `wait() ${WAIT_NOTE}`,
      'finished()',
      `call_user() ${CALL_USER_NOTE}`,
    ],
    browser: [], // filled below
    mobile: [
      `click(${BOX10})`,
      `long_press(${BOX10}, time='')`,
      "type(content='') #If you want to submit your input, use \"\\n\" at the end of `content`.",
      "scroll(start_box='[x1, y1, x2, y2]', end_box='[x3, y3, x4, y4]')",
      'press_home()',
      'press_back()',
      "finished(content='')",
    ],
    grounding: [`click(${BOX10})`],
  },
  '1.5': {
    computer: [
      `click(${BOX15})`,
      `left_double(${BOX15})`,
      `right_single(${BOX15})`,
      "drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')",
      `hotkey(key='ctrl c') ${HOTKEY_NOTE}`,
      `type(content='xxx') ${TYPE_NOTE}`,
      `scroll(${BOX15}, direction='down or up or right or left') ${SCROLL_NOTE}`,
      `wait() ${WAIT_NOTE}`,
      'finished()',
      `call_user() ${CALL_USER_NOTE}`,
    ],
    browser: [],
    mobile: [
      `click(${BOX15})`,
      `long_press(${BOX15})`,
      `type(content='') #If you want to submit your input, use "\\n" at the end of \`content\`.`,
      `scroll(${BOX15}, direction='down or up or right or left')`,
      "open_app(app_name='')",
      "drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')",
      'press_home()',
      'press_back()',
      `finished(content='xxx') ${FINISHED_NOTE}`,
    ],
    grounding: [`click(${BOX15})`],
  },
  point: {
    computer: [
      `click(${PT})`,
      `left_double(${PT})`,
      `right_single(${PT})`,
      "drag(start_point='<point>x1 y1</point>', end_point='<point>x2 y2</point>')",
      `hotkey(key='ctrl c') ${HOTKEY_NOTE}`,
      `type(content='xxx') ${TYPE_NOTE}`,
      `scroll(${PT}, direction='down or up or right or left') ${SCROLL_NOTE}`,
      `wait() ${WAIT_NOTE}`,
      `finished(content='xxx') ${FINISHED_NOTE}`,
    ],
    browser: [],
    mobile: [
      `click(${PT})`,
      `long_press(${PT})`,
      `type(content='') #If you want to submit your input, use "\\n" at the end of \`content\`.`,
      `scroll(${PT}, direction='down or up or right or left')`,
      "open_app(app_name='')",
      "drag(start_point='<point>x1 y1</point>', end_point='<point>x2 y2</point>')",
      'press_home()',
      'press_back()',
      `finished(content='xxx') ${FINISHED_NOTE}`,
    ],
    grounding: [`click(${PT})`],
  },
};
// The browser action space is the computer one plus navigation, placed before the terminal actions.
for (const style of Object.keys(ACTION_SPACES) as PromptStyle[]) {
  const c = ACTION_SPACES[style].computer;
  const cut = c.findIndex((l) => l.startsWith('finished('));
  ACTION_SPACES[style].browser = [...c.slice(0, cut), ...NAVIGATE, ...c.slice(cut)];
}

export interface PromptOptions {
  instruction: string;
  template?: PromptTemplate;
  style?: PromptStyle;
  /** Language of the `Thought` part, e.g. 'English' or 'Chinese' (also accepts 'en' / 'zh'). */
  language?: string;
  /** Replace the action-space lines (e.g. for an operator with its own actions). */
  actionSpace?: readonly string[];
}

/** The full user prompt, instruction and language filled in. */
export function buildPrompt(options: PromptOptions): string {
  const template = options.template ?? 'computer';
  const style = options.style ?? '1.5';
  const language = languageName(options.language ?? 'English');
  const instruction = options.instruction.trim();
  if (!instruction) throw new Error('buildPrompt: the instruction is empty');
  const space = options.actionSpace ?? ACTION_SPACES[style][template];
  const surface = template === 'mobile' ? 'a phone' : template === 'browser' ? 'a web browser' : 'a computer';

  if (template === 'grounding') {
    return [
      `You operate a graphical user interface by looking at its screenshot. Find the element the task refers to and answer with a single action that points at it.`,
      '',
      '## Output Format',
      '',
      'Action: ...',
      '',
      '',
      '## Action Space',
      ...space,
      '',
      '## User Instruction',
      instruction,
      '',
    ].join('\n');
  }
  return [
    `You operate ${surface} through its graphical user interface. Each turn you receive the task, the actions you already took and the latest screenshots; reply with the single next step toward finishing the task.`,
    '',
    '## Output Format',
    '```',
    'Thought: ...',
    'Action: ...',
    '```',
    '',
    '## Action Space',
    '',
    ...space,
    '',
    '',
    '## Note',
    `- Use ${language} in \`Thought\` part.`,
    '- In `Thought`, reason briefly about the screen and what is left to do, then state the next action and the element it targets in one sentence.',
    '',
    '## User Instruction',
    instruction,
    '',
  ].join('\n');
}

function languageName(l: string): string {
  const k = l.trim().toLowerCase();
  if (k === 'zh' || k === 'cn' || k === 'chinese') return 'Chinese';
  if (k === 'en' || k === 'english') return 'English';
  return l.trim();
}

/** The prompt style that matches a model version (1.0 -> '1.0', 1.5 -> '1.5'). */
export function defaultPromptStyle(version: '1.0' | '1.5'): PromptStyle {
  return version;
}
