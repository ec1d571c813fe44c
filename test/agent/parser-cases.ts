/**
 * A table of UI-TARS answers in every published shape, with what genlab's parser must make of them and how
 * the reference TypeScript parser (@ui-tars/action-parser) relates: 'agree', or the reason it is wrong.
 * Coordinates: 'rel' = relative 0–1000 (UI-TARS 1.0); 'abs' = absolute on the smart-resized screenshot of
 * `screen` (UI-TARS-1.5; 1280x800 -> 1288x812 unless given).
 */
export interface Expect {
  thought?: string;
  reflection?: string;
  think?: string;
  /** [type, ...]: points as [x, y] normalized (center), boxes checked through `box`. */
  actions: Record<string, unknown>[];
}

export interface ParserCase {
  name: string;
  text: string;
  mode: 'rel' | 'abs';
  screen?: [number, number];
  expect: Expect;
  ref: 'agree' | { differs: string };
}

const T = (x: number, y: number) => ({ x, y });

export const CASES: ParserCase[] = [
  {
    name: '1.5 desktop: click with box tokens',
    text: "Thought: The search box is at the top of the page. I'll click on it to start typing.\nAction: click(start_box='<|box_start|>(644,203)<|box_end|>')",
    mode: 'abs',
    expect: { thought: "The search box is at the top of the page. I'll click on it to start typing.", actions: [{ type: 'click', target: T(644 / 1288, 203 / 812) }] },
    ref: 'agree',
  },
  {
    name: '1.5: plain (x,y) point',
    text: "Thought: Click the Submit button.\nAction: click(start_box='(322,609)')",
    mode: 'abs',
    expect: { thought: 'Click the Submit button.', actions: [{ type: 'click', target: T(322 / 1288, 609 / 812) }] },
    ref: 'agree',
  },
  {
    name: '1.0: [x1, y1, x2, y2] box, center taken',
    text: "Thought: I need to open the File menu.\nAction: click(start_box='[12, 30, 48, 52]')",
    mode: 'rel',
    expect: { thought: 'I need to open the File menu.', actions: [{ type: 'click', target: T(0.03, 0.041), box: [0.012, 0.03, 0.048, 0.052] }] },
    ref: 'agree',
  },
  {
    name: '1.0: bare x1, y1, x2, y2 box',
    text: "Thought: Double-click the folder icon.\nAction: left_double(start_box='100, 200, 140, 260')",
    mode: 'rel',
    expect: { thought: 'Double-click the folder icon.', actions: [{ type: 'left_double', target: T(0.12, 0.23) }] },
    ref: 'agree',
  },
  {
    name: '<bbox> box',
    text: "Thought: Right-click the image to open its menu.\nAction: right_single(start_box='<bbox>420 310 520 410</bbox>')",
    mode: 'rel',
    expect: { thought: 'Right-click the image to open its menu.', actions: [{ type: 'right_single', target: T(0.47, 0.36) }] },
    ref: 'agree',
  },
  {
    name: 'point style: click(point=<point>x y</point>)',
    text: "Thought: I see the search icon, I need to click it.\nAction: click(point='<point>500 500</point>')",
    mode: 'rel',
    expect: { thought: 'I see the search icon, I need to click it.', actions: [{ type: 'click', target: T(0.5, 0.5) }] },
    ref: 'agree',
  },
  {
    name: 'point style on 1.5 absolute coordinates',
    text: "Thought: Open the settings.\nAction: click(point='<point>966 87</point>')",
    mode: 'abs',
    expect: { thought: 'Open the settings.', actions: [{ type: 'click', target: T(966 / 1288, 87 / 812) }] },
    ref: 'agree',
  },
  {
    name: 'drag with start_point / end_point',
    text: "Thought: Drag the slider handle to the right end.\nAction: drag(start_point='<point>200 540</point>', end_point='<point>780 540</point>')",
    mode: 'rel',
    expect: { thought: 'Drag the slider handle to the right end.', actions: [{ type: 'drag', start: T(0.2, 0.54), end: T(0.78, 0.54) }] },
    ref: 'agree',
  },
  {
    name: 'drag with box tokens',
    text: "Thought: Move the card into the Done column.\nAction: drag(start_box='<|box_start|>(210,380)<|box_end|>', end_box='<|box_start|>(905,380)<|box_end|>')",
    mode: 'abs',
    expect: { thought: 'Move the card into the Done column.', actions: [{ type: 'drag', start: T(210 / 1288, 380 / 812), end: T(905 / 1288, 380 / 812) }] },
    ref: 'agree',
  },
  {
    name: 'hotkey',
    text: "Thought: Copy the selected text.\nAction: hotkey(key='ctrl c')",
    mode: 'rel',
    expect: { thought: 'Copy the selected text.', actions: [{ type: 'hotkey', keys: ['ctrl', 'c'] }] },
    ref: 'agree',
  },
  {
    name: 'type with a trailing \\n (submit)',
    text: "Thought: Type the query and press Enter to search.\nAction: type(content='UI-TARS paper\\n')",
    mode: 'rel',
    expect: { thought: 'Type the query and press Enter to search.', actions: [{ type: 'type', content: 'UI-TARS paper\n', text: 'UI-TARS paper', submit: true }] },
    ref: 'agree',
  },
  {
    name: 'type with escaped quotes',
    text: "Thought: Enter the title.\nAction: type(content='The \\'quick\\' fox said \\\"hi\\\"')",
    mode: 'rel',
    expect: { actions: [{ type: 'type', content: 'The \'quick\' fox said "hi"', submit: false }] },
    ref: 'agree',
  },
  {
    name: 'type with an internal newline',
    text: "Thought: Write two lines.\nAction: type(content='line one\\nline two')",
    mode: 'rel',
    expect: { actions: [{ type: 'type', content: 'line one\nline two', text: 'line one\nline two', submit: false }] },
    ref: 'agree',
  },
  {
    name: 'scroll with a point',
    text: "Thought: The list continues below; scroll down.\nAction: scroll(start_box='<|box_start|>(640,500)<|box_end|>', direction='down')",
    mode: 'abs',
    expect: { actions: [{ type: 'scroll', direction: 'down', target: T(640 / 1288, 500 / 812) }] },
    ref: 'agree',
  },
  {
    name: 'scroll without a point',
    text: "Thought: Scroll up to the top.\nAction: scroll(direction='up')",
    mode: 'rel',
    expect: { actions: [{ type: 'scroll', direction: 'up' }] },
    ref: 'agree',
  },
  {
    name: 'scroll with point= and a direction phrase',
    text: "Thought: Look further right.\nAction: scroll(point='<point>500 400</point>', direction='right')",
    mode: 'rel',
    expect: { actions: [{ type: 'scroll', direction: 'right', target: T(0.5, 0.4) }] },
    ref: 'agree',
  },
  {
    name: 'wait()',
    text: 'Thought: The page is still loading, wait for it.\nAction: wait()',
    mode: 'rel',
    expect: { thought: 'The page is still loading, wait for it.', actions: [{ type: 'wait' }] },
    ref: 'agree',
  },
  {
    name: 'finished(content)',
    text: "Thought: The form was submitted successfully.\nAction: finished(content='Submitted the form for Ada.')",
    mode: 'rel',
    expect: { actions: [{ type: 'finished', content: 'Submitted the form for Ada.' }] },
    ref: 'agree',
  },
  {
    name: 'finished() without content (1.5 desktop prompt)',
    text: 'Thought: Everything is done.\nAction: finished()',
    mode: 'abs',
    expect: { actions: [{ type: 'finished', content: '' }] },
    ref: 'agree',
  },
  {
    name: 'call_user()',
    text: 'Thought: A login with a password I do not have is required.\nAction: call_user()',
    mode: 'abs',
    expect: { actions: [{ type: 'call_user' }] },
    ref: 'agree',
  },
  {
    name: 'browser: navigate and navigate_back',
    text: "Thought: Go to the docs site.\nAction: navigate(content='https://example.org/docs')\n\nnavigate_back()",
    mode: 'abs',
    expect: { actions: [{ type: 'navigate', url: 'https://example.org/docs' }, { type: 'navigate_back' }] },
    ref: 'agree',
  },
  {
    name: 'mobile: long_press, open_app, press_home, press_back',
    text: "Thought: Open the camera app and go home.\nAction: open_app(app_name='Camera')\n\nlong_press(point='<point>300 700</point>')\n\npress_back()\n\npress_home()",
    mode: 'rel',
    expect: {
      actions: [{ type: 'open_app', appName: 'Camera' }, { type: 'long_press', target: T(0.3, 0.7) }, { type: 'press_back' }, { type: 'press_home' }],
    },
    ref: 'agree',
  },
  {
    name: 'mobile: swipe(start_box, end_box)',
    text: "Thought: Swipe up to see more apps.\nAction: swipe(start_box='(500,800)', end_box='(500,300)')",
    mode: 'rel',
    expect: { actions: [{ type: 'swipe', start: T(0.5, 0.8), end: T(0.5, 0.3) }] },
    ref: 'agree',
  },
  {
    name: 'several actions separated by a blank line',
    text: "Thought: Fill the name field and submit.\nAction: click(start_box='(400,300)')\n\ntype(content='Ada Lovelace')\n\nhotkey(key='enter')",
    mode: 'rel',
    expect: { actions: [{ type: 'click', target: T(0.4, 0.3) }, { type: 'type', content: 'Ada Lovelace' }, { type: 'hotkey', keys: ['enter'] }] },
    ref: 'agree',
  },
  {
    name: 'full-width colon Action：',
    text: "Thought: 我需要点击搜索按钮。\nAction：click(start_box='(820,120)')",
    mode: 'rel',
    expect: { thought: '我需要点击搜索按钮。', actions: [{ type: 'click', target: T(0.82, 0.12) }] },
    ref: 'agree',
  },
  {
    name: '<think> prefix',
    text: "<think>The user wants the second page. There is a link labelled Next at the bottom.</think>\nThought: Click the Next link.\nAction: click(start_box='<|box_start|>(610,742)<|box_end|>')",
    mode: 'abs',
    expect: {
      think: 'The user wants the second page. There is a link labelled Next at the bottom.',
      thought: 'Click the Next link.',
      actions: [{ type: 'click', target: T(610 / 1288, 742 / 812) }],
    },
    ref: 'agree',
  },
  {
    name: 'Reflection / Action_Summary format',
    text: "Reflection: The previous click opened the wrong menu.\nAction_Summary: Close the menu and click the Edit menu instead.\nAction: click(start_box='(95,15)')",
    mode: 'rel',
    expect: {
      reflection: 'The previous click opened the wrong menu.',
      thought: 'Close the menu and click the Edit menu instead.',
      actions: [{ type: 'click', target: T(0.095, 0.015) }],
    },
    ref: 'agree',
  },
  {
    name: 'Action_Summary only',
    text: "Action_Summary: Press Escape to close the dialog.\nAction: hotkey(key='esc')",
    mode: 'rel',
    expect: { thought: 'Press Escape to close the dialog.', actions: [{ type: 'hotkey', keys: ['esc'] }] },
    ref: 'agree',
  },
  {
    name: 'grounding: Action only',
    text: "Action: click(point='<point>123 456</point>')",
    mode: 'rel',
    expect: { thought: '', actions: [{ type: 'click', target: T(0.123, 0.456) }] },
    ref: 'agree',
  },
  {
    name: 'double-quoted arguments',
    text: 'Thought: Type the name.\nAction: type(content="Grace Hopper")',
    mode: 'rel',
    expect: { actions: [{ type: 'type', content: 'Grace Hopper' }] },
    ref: 'agree',
  },
  {
    name: 'a comma and an equals sign inside content',
    text: "Thought: Answer.\nAction: finished(content='x=1, y=2')",
    mode: 'rel',
    expect: { actions: [{ type: 'finished', content: 'x=1, y=2' }] },
    ref: 'agree',
  },
  // ---- cases where the reference parser is wrong -------------------------------------------------------
  {
    name: 'unescaped apostrophe in content (models often forget to escape)',
    text: "Thought: Type the sentence.\nAction: type(content='It's here, ok')",
    mode: 'rel',
    expect: { actions: [{ type: 'type', content: "It's here, ok" }] },
    ref: { differs: "the reference splits arguments on commas outside '…' pairs and returns content \"It's here\"" },
  },
  {
    name: 'apostrophe inside a double-quoted string',
    text: 'Thought: Type it.\nAction: type(content="Don\'t panic")',
    mode: 'rel',
    expect: { actions: [{ type: 'type', content: "Don't panic" }] },
    ref: { differs: "the reference treats ' as the only quote and returns content \"Don\"" },
  },
  {
    name: 'the word "Action:" inside the thought',
    text: "Thought: The toolbar has a button labelled Action: I will click it.\nAction: click(start_box='(300,40)')",
    mode: 'rel',
    expect: { thought: 'The toolbar has a button labelled Action: I will click it.', actions: [{ type: 'click', target: T(0.3, 0.04) }] },
    ref: { differs: 'the reference cuts the thought at the first "Action:" ("The toolbar has a button labelled")' },
  },
  {
    name: 'answer wrapped in a ``` fence copied from the prompt',
    text: "```\nThought: Click OK.\nAction: click(start_box='(512,384)')\n```",
    mode: 'rel',
    expect: { thought: 'Click OK.', actions: [{ type: 'click', target: T(0.512, 0.384) }] },
    ref: { differs: 'the reference keeps the closing fence in the action text and fails ("Not a function call"), returning an empty action' },
  },
  {
    name: '1.5 at a screen width of 1302 px (smart_resize tie 46.5)',
    text: "Thought: Click the center.\nAction: click(start_box='(644,364)')",
    mode: 'abs',
    screen: [1302, 720],
    expect: { actions: [{ type: 'click', target: T(0.5, 0.5) }] },
    ref: { differs: 'the reference rounds 1302/28 = 46.5 up (Math.round) to w_bar 1316 instead of 1288, so x = 644/1316 = 0.489: 14 px left of the center' },
  },
];

/** Malformed answers: text genlab must refuse with an ActionParseError whose message matches `error`, and the one action @ui-tars/action-parser (1.2.3, 'rel' mode) returns
 *  instead of raising (recorded from the package; `refBehaviour` says why that answer is wrong). */
export interface RefAnswer {
  action_type: string;
  action_inputs: Record<string, unknown>;
}
export const MALFORMED: { name: string; text: string; error: RegExp; refBehaviour: string; ref: RefAnswer }[] = [
  { name: 'no Action at all', text: 'Thought: I am not sure what to do.', error: /no "Action:"/, refBehaviour: 'action_type "", an empty action', ref: { action_type: '', action_inputs: {} } },
  { name: 'unknown action', text: "Thought: x\nAction: clik(start_box='(1,2)')", error: /unknown action 'clik'/, refBehaviour: 'action_type "clik"', ref: { action_type: 'clik', action_inputs: { start_box: '[0.001,0.002,0.001,0.002]' } } },
  { name: 'truncated inside a box', text: "Thought: x\nAction: click(start_box='(100,", error: /unterminated string|cannot find/, refBehaviour: 'action_type ""', ref: { action_type: '', action_inputs: {} } },
  { name: 'not a point', text: "Thought: x\nAction: click(start_box='the blue button')", error: /not a point or a box/, refBehaviour: 'start_box [null] (the words read as NaN)', ref: { action_type: 'click', action_inputs: { start_box: '[null]' } } },
  { name: 'three numbers', text: "Thought: x\nAction: click(start_box='(1,2,3)')", error: /has 3 numbers/, refBehaviour: 'start_box with 3 numbers', ref: { action_type: 'click', action_inputs: { start_box: '[0.001,0.002,0.003]' } } },
  { name: 'outside the coordinate space', text: "Thought: x\nAction: click(start_box='(1500,200)')", error: /outside the model's 1000x1000/, refBehaviour: 'start_box [1.5, 0.2, …] (off screen)', ref: { action_type: 'click', action_inputs: { start_box: '[1.5,0.2,1.5,0.2]' } } },
  { name: 'click without a target', text: 'Thought: x\nAction: click()', error: /missing start_box/, refBehaviour: 'click with no inputs', ref: { action_type: 'click', action_inputs: {} } },
  { name: 'bad scroll direction', text: "Thought: x\nAction: scroll(direction='sideways')", error: /direction must be one of/, refBehaviour: 'direction "sideways"', ref: { action_type: 'scroll', action_inputs: { direction: 'sideways' } } },
  { name: 'prose after Action', text: 'Thought: x\nAction: I will click the button.', error: /expected an action call/, refBehaviour: 'action_type ""', ref: { action_type: '', action_inputs: {} } },
  { name: 'unclosed <think>', text: '<think>hmm, the page', error: /unclosed <think>/, refBehaviour: 'action_type ""', ref: { action_type: '', action_inputs: {} } },
  { name: 'empty answer', text: '   ', error: /empty model answer/, refBehaviour: 'action_type ""', ref: { action_type: '', action_inputs: {} } },
  { name: 'garbage after a call', text: "Thought: x\nAction: click(start_box='(1,2)') and then more", error: /unexpected text after an action call/, refBehaviour: 'action_type ""', ref: { action_type: '', action_inputs: {} } },
  { name: 'drag without end', text: "Thought: x\nAction: drag(start_box='(1,2)')", error: /missing end_box/, refBehaviour: 'drag without end_box', ref: { action_type: 'drag', action_inputs: { start_box: '[0.001,0.002,0.001,0.002]' } } },
];
