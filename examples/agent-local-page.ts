/**
 * The GUI agent on a local page: a small web page served from this process, Chromium driven by
 * the browser operator, and the UI-TARS agent loop (screenshot -> model -> parsed action -> click/
 * type). With GENLAB_AGENT_ENDPOINT (an OpenAI-compatible UI-TARS server) the real model acts;
 * without it a scripted model plays UI-TARS 1.0's part (coordinates on a 1000x1000 grid), so the
 * example runs anywhere Chromium does. The trajectory (screenshots, index.html) goes to
 * out/examples/agent/.
 *
 *   npx tsx examples/agent-local-page.ts
 * Needs Chromium (GENLAB_CHROMIUM, default /usr/bin/chromium) and the optional peer dependency
 * playwright-core.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agent } from '../src/index.ts';

const OUT = process.env.GENLAB_EXAMPLE_OUT ?? 'out/examples';

const PAGE = `<!doctype html><html><body style="margin:0;font:32px sans-serif">
<button id="go" style="position:fixed;left:0;top:0;width:50vw;height:100vh;font-size:40px" onclick="document.getElementById('name').focus()">Start</button>
<input id="name" style="position:fixed;left:55vw;top:40vh;width:40vw;height:20vh;font-size:40px" placeholder="your name"
  onkeydown="if(event.key==='Enter'){document.title='hello '+this.value}">
</body></html>`;

/** A stand-in for UI-TARS 1.0: clicks the Start button (left half), types a name, finishes. */
const scripted: agent.ModelClient = {
  name: 'scripted-ui-tars-1.0',
  script: [
    "Thought: The big Start button is on the left.\nAction: click(start_box='(250,500)')",
    "Thought: The name field has focus; I type a name and press Enter.\nAction: type(content='Ada\\n')",
    "Thought: The page greeted Ada.\nAction: finished(content='greeted Ada')",
  ],
  step: 0,
  async complete() {
    const text = this.script[Math.min(this.step++, this.script.length - 1)]!;
    return { text, attempts: 1 };
  },
} as agent.ModelClient & { script: string[]; step: number };

const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const endpoint = process.env.GENLAB_AGENT_ENDPOINT;
const model = endpoint ? new agent.OpenAIChatClient({ endpoint, model: process.env.GENLAB_AGENT_MODEL ?? 'ui-tars' }) : scripted;
const op = await agent.BrowserOperator.launch({ url, width: 1000, height: 600 });
try {
  const r = await agent.runAgent({
    instruction: 'Press Start, then enter the name Ada.',
    operator: op,
    model,
    version: endpoint ? '1.5' : '1.0',
    maxSteps: 8,
    outDir: `${OUT}/agent`,
  });
  const title = await op.page.title();
  console.log(`agent ${r.status} after ${r.steps.length} steps: ${r.finalAnswer ?? r.error?.message}; page title '${title}'`);
  console.log(`trajectory: ${r.trajectoryDir ?? r.trajectoryError}`);
  console.log(JSON.stringify({ example: 'agent-local-page', status: r.status, steps: r.steps.length, title }));
} finally {
  await op.close();
  server.close();
}
