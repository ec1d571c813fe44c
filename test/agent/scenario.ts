/**
 * The scripted UI-TARS task on the test site (site.ts), shared by the browser and the computer end-to-end tests:
 * the oracle "model" answers each request with the next step, pointing at elements where they really are in the
 * screenshot it was sent. Only how an element is located differs between operators (the page through Playwright,
 * or the page's own layout reports plus the window's place on the X screen).
 */
import assert from 'node:assert/strict';
import { pngSize, type ModelVersion } from '../../src/agent/index.ts';
import { pySmartResize } from './smart-resize-table.ts';
import { lastImage, type ChatRequest } from './helpers.ts';

/** An element's box as fractions of the screenshot in `req`. */
export interface NormBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export type Locate = (req: ChatRequest, selector: string) => Promise<NormBox>;

type Fmt = 'box15' | 'paren' | 'bracket' | 'bare' | 'bbox' | 'point';

/** Model coordinates of a box (center, or a box inside it) as a model would write them for `req`'s screenshot. */
export function formatTarget(b: NormBox, req: ChatRequest, version: ModelVersion, fmt: Fmt): string {
  const img = pngSize(lastImage(req));
  const [sw, sh] = version === '1.0' ? [1000, 1000] : ((s) => [s.width, s.height])(pySmartResize(img.height, img.width)) /* Python's size (a table), never genlab's own smartResize */;
  const m = (fx: number, fy: number) => [Math.round(fx * sw), Math.round(fy * sh)] as const;
  const w = b.x1 - b.x0;
  const h = b.y1 - b.y0;
  const [cx, cy] = m(b.x0 + w / 2, b.y0 + h / 2);
  const [x1, y1] = m(b.x0 + w * 0.3, b.y0 + h * 0.3);
  const [x2, y2] = m(b.x0 + w * 0.7, b.y0 + h * 0.7);
  switch (fmt) {
    case 'box15':
      return `'<|box_start|>(${cx},${cy})<|box_end|>'`;
    case 'paren':
      return `'(${cx},${cy})'`;
    case 'bracket':
      return `'[${x1}, ${y1}, ${x2}, ${y2}]'`;
    case 'bare':
      return `'${x1}, ${y1}, ${x2}, ${y2}'`;
    case 'bbox':
      return `'<bbox>${x1} ${y1} ${x2} ${y2}</bbox>'`;
    case 'point':
      return `'<point>${cx} ${cy}</point>'`;
  }
}

export const FINAL_ANSWER = 'Form sent, list item picked, box dropped, confirmed.';

/**
 * The scripted task: each entry answers one request. `back` is how the model goes back a page: the browser
 * action space has navigate_back(); on a desktop the model presses the browser's own shortcut.
 */
export function scenario(locate: Locate, version: ModelVersion, back: 'navigate_back' | 'alt_left' = 'navigate_back'): ((req: ChatRequest) => Promise<string>)[] {
  const w = async (req: ChatRequest, sel: string, fmt: Fmt) => formatTarget(await locate(req, sel), req, version, fmt);
  return [
    async (q) => `Thought: I click the name field first.\nAction: click(start_box=${await w(q, '#name', 'box15')})`,
    async () => "Thought: Now I type the name and press Enter to submit.\nAction: type(content='Ada Lovelace\\n')",
    async (q) =>
      `<think>Two buttons to press.</think>\nThought: Press Count, then double-click Double.\nAction: click(start_box=${await w(q, '#counter', 'paren')})\n\nleft_double(start_box=${await w(q, '#dbl', 'bracket')})`,
    async (q) => `Reflection: Both buttons reacted.\nAction_Summary: Right-click the Menu button.\nAction：right_single(start_box=${await w(q, '#ctx', 'bbox')})`,
    async (q) => `Thought: Item 20 is further down the list.\nAction: scroll(point=${await w(q, '#list', 'point')}, direction='down')`,
    async (q) => `Thought: Item 20 is visible now.\nAction: click(start_box=${await w(q, '#item-20', 'bare')})`,
    async (q) =>
      version === '1.0'
        ? `Thought: Drag the blue box onto the drop zone.\nAction: drag(start_point=${await w(q, '#drag', 'point')}, end_point=${await w(q, '#drop', 'point')})`
        : `Thought: Drag the blue box onto the drop zone.\nAction: drag(start_box=${await w(q, '#drag', 'box15')}, end_box=${await w(q, '#drop', 'box15')})`,
    async () => "Thought: Open the command palette.\nAction: hotkey(key='ctrl k')",
    async (q) => `Thought: Go to the next page.\nAction: click(point=${await w(q, '#next', 'point')})`,
    async (q) => `Thought: Confirm.\nAction: click(start_box=${await w(q, '#confirm', 'box15')})`,
    async () => (back === 'navigate_back' ? 'Thought: Back to the first page.\nAction: navigate_back()' : "Thought: Back to the first page.\nAction: hotkey(key='alt left')"),
    async () => `Thought: Everything is done.\nAction: finished(content='${FINAL_ANSWER}')`,
  ];
}

/** What the page must have seen after the scenario (its sessionStorage state). */
export function checkPageState(s: { clicks: { id: string | null; button: number; page: string }[]; [k: string]: unknown }): void {
  assert.deepEqual(
    s.clicks.map((k) => `${k.page}#${k.id}${k.button === 2 ? ':right' : ''}`),
    ['/#name', '/#counter', '/#dbl', '/#dbl', '/#ctx:right', '/#item-20', '/#drag', '/#next', '/second#confirm'],
  );
  assert.equal(s.submitted, 'Ada Lovelace');
  assert.equal(s.submitVia, 'enter');
  assert.equal(s.counter, 1);
  assert.equal(s.dbl, 1);
  assert.equal(s.right, 1);
  assert.ok((s.listScroll as number) > 0, 'the list scrolled');
  assert.equal(s.picked, 'Item 20');
  assert.equal(s.dropped, 'box');
  assert.equal(s.hotkey, 'ctrl+k');
  assert.equal(s.second, 1);
  assert.equal(s.confirmed, true);
}
