/** The dashboard's single page: a hash router over the pages (runs, run, compare, playground, agent). */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h } from './dom.ts';
import { runsPage } from './pages/runs.ts';
import { runPage } from './pages/run.ts';
import { comparePage } from './pages/compare.ts';
import { playgroundPage } from './pages/playground.ts';
import { agentPage } from './pages/agent.ts';

const nav = h(
  'nav',
  {},
  h('a', { href: '#/', class: 'brand' }, 'genlab'),
  h('a', { href: '#/', 'data-page': 'runs' }, 'Runs'),
  h('a', { href: '#/compare/', 'data-page': 'compare' }, 'Compare'),
  h('a', { href: '#/play', 'data-page': 'play' }, 'Playground'),
  h('a', { href: '#/agent', 'data-page': 'agent' }, 'Agent'),
);
const main = h('main', { id: 'page' });
document.body.append(nav, main);

let cleanup: (() => void) | null = null;

function route(): void {
  cleanup?.();
  cleanup = null;
  main.replaceChildren();
  delete main.dataset.loaded;
  const hash = location.hash.replace(/^#\/?/, '');
  const [page = '', ...rest] = hash.split('/');
  const arg = rest.join('/');
  main.dataset.page = page || 'runs';
  nav.querySelectorAll<HTMLAnchorElement>("a[data-page]").forEach((a) => a.classList.toggle('active', a.dataset.page === (page || 'runs')));
  if (page === 'run' && arg) cleanup = runPage(main, decodeURIComponent(arg));
  else if (page === 'compare') cleanup = comparePage(main, arg ? arg.split(',').filter(Boolean).map(decodeURIComponent) : []);
  else if (page === 'play') cleanup = playgroundPage(main);
  else if (page === 'agent') cleanup = agentPage(main, arg ? decodeURIComponent(arg) : null);
  else cleanup = runsPage(main);
}

window.addEventListener('hashchange', route);
route();
