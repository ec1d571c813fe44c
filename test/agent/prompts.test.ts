import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_SPACES, buildPrompt, coordinateSpaceFor, parseActions, type PromptStyle, type PromptTemplate } from '../../src/agent/index.ts';

const STYLES: PromptStyle[] = ['1.0', '1.5', 'point'];
const TEMPLATES: PromptTemplate[] = ['computer', 'browser', 'mobile', 'grounding'];

test('prompts: every template and style fills in the instruction and language, with the four sections', () => {
  for (const style of STYLES) {
    for (const template of TEMPLATES) {
      const p = buildPrompt({ instruction: '  Book a table for two  ', template, style, language: 'zh' });
      assert.ok(p.trimEnd().endsWith('## User Instruction\nBook a table for two'), `${style}/${template}`);
      assert.match(p, /## Output Format/);
      assert.match(p, /## Action Space/);
      for (const line of ACTION_SPACES[style][template]) assert.ok(p.includes(line), `${style}/${template}: ${line}`);
      if (template !== 'grounding') {
        assert.match(p, /Use Chinese in `Thought` part\./);
        assert.match(p, /Thought: \.\.\.\nAction: \.\.\./);
      } else {
        assert.doesNotMatch(p, /Thought: \.\.\./);
      }
      assert.doesNotMatch(p, /\{instruction\}|\{language\}|\$\{/);
    }
  }
  assert.match(buildPrompt({ instruction: 'x' }), /Use English in `Thought` part\./);
  assert.match(buildPrompt({ instruction: 'x', language: 'German' }), /Use German in `Thought` part\./);
  assert.throws(() => buildPrompt({ instruction: '   ' }), /instruction is empty/);
});

test('prompts: the browser space adds navigation; the 1.5 space has call_user; point style uses <point>', () => {
  assert.ok(ACTION_SPACES['1.5'].browser.some((l) => l.startsWith("navigate(content='xxx')")));
  assert.ok(ACTION_SPACES['1.5'].browser.includes('navigate_back() # Back to the last page'));
  assert.ok(!ACTION_SPACES['1.5'].computer.some((l) => l.startsWith('navigate')));
  assert.ok(ACTION_SPACES['1.5'].computer.some((l) => l.startsWith('call_user()')));
  assert.ok(ACTION_SPACES.point.computer.every((l) => !l.includes('box_start')));
  assert.ok(ACTION_SPACES.point.mobile.some((l) => l.startsWith("open_app(app_name='')")));
});

test('prompts: every action-space line, with its placeholders replaced by numbers, is parsed by genlab', () => {
  const space = coordinateSpaceFor('relative-1000', 1000, 1000);
  for (const style of STYLES) {
    for (const template of TEMPLATES) {
      for (const line of ACTION_SPACES[style][template]) {
        const call = line
          .replace(/\s+#.*$/, '')
          .replace(/x\d/g, '10')
          .replace(/y\d/g, '20')
          .replace("direction='down or up or right or left'", "direction='down'")
          .replace("time=''", "time='1'")
          .replace("app_name=''", "app_name='Maps'")
          .replace("key=''", "key='enter'");
        const actions = parseActions(call, { space });
        assert.equal(actions.length, 1, `${style}/${template}: ${call}`);
      }
    }
  }
});
