/**
 * The local test site for end-to-end agent runs: a form, buttons for click / double click / right click,
 * a scrolling list, a drag source and drop zone, a hotkey listener, and a link to a second page.
 * Every effect is recorded in sessionStorage (window.readState()), so the test reads what really happened.
 */
import { startHttp } from './helpers.ts';

const STATE_JS = `
const KEY = 'agent-test-state';
window.readState = () => JSON.parse(sessionStorage.getItem(KEY) || '{"clicks":[]}');
window.update = (f) => { const s = readState(); f(s); sessionStorage.setItem(KEY, JSON.stringify(s)); };
// The page reports its own layout (element boxes in CSS px, the viewport's place on the screen) and state to the
// site server, so that a test driving it only through X11 input can still read what happened (no CDP).
// Sent every 100 ms even when nothing changed, so a reader can wait for one newer than its own moment.
function report() {
  const boxes = {};
  for (const el of document.querySelectorAll('[id]')) {
    const b = el.getBoundingClientRect();
    boxes[el.id] = [b.left, b.top, b.width, b.height];
  }
  const body = JSON.stringify({ path: location.pathname, boxes, vw: innerWidth, vh: innerHeight, screenX, screenY, state: readState() });
  fetch('/report', { method: 'POST', body, keepalive: true }).catch(() => {});
}
setInterval(report, 100);
document.addEventListener('mousedown', (e) => {
  const el = e.target.closest('[id]');
  update((s) => s.clicks.push({ id: el ? el.id : null, button: e.button, x: Math.round(e.clientX), y: Math.round(e.clientY), page: location.pathname }));
  update((s) => { s.origin = [e.screenX - e.clientX, e.screenY - e.clientY]; });
}, true);
`;

const PAGE1 = `<!doctype html><html><head><meta charset="utf-8"><title>Agent test page</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px sans-serif; background: #fafafa; }
  .row { position: absolute; }
  #name { left: 20px; top: 20px; width: 220px; height: 36px; font-size: 16px; }
  #submit { left: 250px; top: 20px; width: 100px; height: 36px; }
  #counter { left: 20px; top: 80px; width: 110px; height: 44px; }
  #dbl { left: 145px; top: 80px; width: 110px; height: 44px; }
  #ctx { left: 270px; top: 80px; width: 110px; height: 44px; }
  #list { left: 20px; top: 150px; width: 220px; height: 180px; overflow-y: auto; border: 1px solid #888; background: white; }
  #list div { height: 30px; line-height: 30px; padding-left: 8px; border-bottom: 1px solid #eee; }
  #drag { left: 270px; top: 160px; width: 80px; height: 60px; background: #48c; color: white; text-align: center; line-height: 60px; cursor: grab; }
  #drop { left: 400px; top: 150px; width: 150px; height: 150px; border: 3px dashed #888; text-align: center; line-height: 150px; }
  #next { left: 20px; top: 350px; font-size: 20px; }
  #status { left: 270px; top: 350px; width: 280px; }
</style></head><body>
<form id="form" onsubmit="event.preventDefault(); update(s => { s.submitted = document.getElementById('name').value; s.submitVia = s.lastKey === 'Enter' ? 'enter' : 'button'; }); document.getElementById('status').textContent = 'Submitted';">
  <input class="row" id="name" placeholder="Your name" autocomplete="off">
  <button class="row" id="submit" type="submit">Submit</button>
</form>
<button class="row" id="counter" onclick="update(s => s.counter = (s.counter || 0) + 1)">Count</button>
<button class="row" id="dbl" ondblclick="update(s => s.dbl = (s.dbl || 0) + 1)">Double</button>
<button class="row" id="ctx" oncontextmenu="event.preventDefault(); update(s => s.right = (s.right || 0) + 1)">Menu</button>
<div class="row" id="list" onscroll="update(s => s.listScroll = this.scrollTop)">
  ${Array.from({ length: 30 }, (_, i) => `<div id="item-${i + 1}" onclick="update(s => s.picked = 'Item ${i + 1}')">Item ${i + 1}</div>`).join('\n  ')}
</div>
<div class="row" id="drag" draggable="true" ondragstart="event.dataTransfer.setData('text/plain', 'box')">Drag me</div>
<div class="row" id="drop" ondragover="event.preventDefault()" ondrop="event.preventDefault(); update(s => s.dropped = event.dataTransfer.getData('text/plain')); this.textContent = 'Dropped';">Drop here</div>
<a class="row" id="next" href="/second">Next page</a>
<div class="row" id="status"></div>
<script>
${STATE_JS}
document.addEventListener('keydown', (e) => {
  update((s) => { s.lastKey = e.key; if (e.ctrlKey && e.key === 'k') s.hotkey = 'ctrl+k'; });
  if (e.ctrlKey && e.key === 'k') e.preventDefault();
}, true);
update((s) => { s.visits = (s.visits || 0) + 1; });
</script>
</body></html>`;

const PAGE2 = `<!doctype html><html><head><meta charset="utf-8"><title>Second page</title>
<style>body { margin: 0; font: 16px sans-serif; } #confirm { position: absolute; left: 300px; top: 200px; width: 160px; height: 50px; }</style>
</head><body><h1 style="margin:20px">Second page</h1>
<button id="confirm" onclick="update(s => s.confirmed = true); this.textContent = 'Confirmed'">Confirm</button>
<script>${STATE_JS} update((s) => { s.second = (s.second || 0) + 1; });</script>
</body></html>`;

/** What a page last reported about itself. */
export interface PageReport {
  path: string;
  /** Element id -> [left, top, width, height] in CSS px of the viewport. */
  boxes: Record<string, [number, number, number, number]>;
  vw: number;
  vh: number;
  screenX: number;
  screenY: number;
  state: { clicks: { id: string | null; button: number; page: string }[]; origin?: [number, number]; [k: string]: unknown };
  /** Date.now() when the server received it. */
  at: number;
}

export interface Site {
  url: string;
  /** The newest report of any page, if one came. */
  latest(): PageReport | undefined;
  close(): Promise<void>;
}

export async function startSite(extra: Record<string, string> = {}): Promise<Site> {
  let latest: PageReport | undefined;
  const site = await startHttp((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/report' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          latest = { ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<PageReport, 'at'>), at: Date.now() };
        } catch {
          // a truncated report on unload
        }
        res.writeHead(204).end();
      });
      return;
    }
    if (extra[path] !== undefined) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(extra[path]);
    else if (path === '/report.csv') res.writeHead(200, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="report.csv"' }).end('a,b\n1,2\n');
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE1);
    else if (path === '/second') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE2);
    else res.writeHead(404).end('not found');
  });
  return { ...site, latest: () => latest };
}
