// Browser test of the knowledge editor (/editor/), driven by tests/test_editor_browser.py.
//
//   node tests/browser/editor.spec.mjs BASE_URL ARTIFACT_DIR '{"user": …, "password": …, "gap": "プール", "faq": {…},
//     "citizen_question": …, "widget_base"?: URL of another node for the citizen's page}'
//
// An editor signs in, opens a gap cluster, writes the missing FAQ with a source (first without one: the loader's
// error is shown at the field), previews it, saves it; a citizen's question in the widget then gets that answer.
// Prints {"event": "step", …} lines, then one {"event": "result", …}; exit code 0 when every check passed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { check, checks, emit, failed, launch, runAxe } from './harness.mjs';

const [base, artifacts = 'test-artifacts', expectedJson = '{}'] = process.argv.slice(2);
const expected = JSON.parse(expectedJson);
mkdirSync(artifacts, { recursive: true });
const status = (page, text, timeout = 60000) => page.waitForFunction(
  (t) => document.getElementById('status').textContent.includes(t), text, { timeout });
const shot = async (page, name, full = false) => {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage: full });
  result.screenshots.push(file);
};

const browser = await launch();
const result = { event: 'result', ok: false, checks, axe: {}, screenshots: [], timings: {} };
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 960 }, locale: 'ja-JP', bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });

  await page.goto(base + '/editor/');
  await page.waitForURL(/\/login\?next=/);
  check('signed out: sent to the sign-in page', page.url().includes('next=%2Feditor%2F'));
  await page.fill('#name', expected.user);
  await page.fill('#password', expected.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/editor\/$/);
  await page.locator('#results li').first().waitFor({ timeout: 30000 });
  check('search: entries listed at start', await page.locator('#results li').count() > 10);
  // "/" focuses the search; a filter narrows the list.
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await page.keyboard.press('/');
  check('"/" focuses the search box', await page.evaluate(() => document.activeElement.id) === 's-q');
  await page.keyboard.type('住民票');
  await page.check('input[value="never_matched"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('s-summary').textContent.includes('件'));
  const tags = await page.locator('#results .tag').allTextContents();
  check('search: words and the never-matched filter', tags.length > 0 && tags.every((t) => t !== '') &&
    (await page.locator('#results li').count()) > 0, tags.slice(0, 5));
  await shot(page, `editor-search${expected.widget_base ? '-nodes' : ''}.png`);
  result.axe.search = await runAxe(page, 'search');

  // The gap cluster → a drafted FAQ.
  await page.click('#tab-gaps');
  await page.locator('#gaps > li').first().waitFor({ timeout: 60000 });
  const cluster = page.locator('#gaps > li', { hasText: expected.gap }).first();
  check('gaps: the planted cluster is listed', await cluster.count() === 1);
  await shot(page, 'editor-gaps.png');
  await cluster.getByRole('button', { name: 'FAQを書く' }).click();
  await status(page, 'FAQの下書きを作りました');
  const question = await page.inputValue('#f-question');
  const alternatives = await page.inputValue('#f-alternatives');
  check('draft: the cluster\'s examples as question and phrasings', question.includes(expected.gap) &&
    alternatives.split('\n').length >= 1, { question, alternatives });
  const active = await page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.tagName));
  check('draft: focus on the answer', active === 'f-answer', active);
  await page.fill('#f-alternatives', expected.faq.alternatives.join('\n'));
  await page.fill('#e-id', expected.faq.id);
  await page.fill('#f-question', expected.faq.question);
  await page.fill('#f-answer', expected.faq.answer);
  await page.fill('#f-category', expected.faq.category);
  await page.fill('#f-department', expected.faq.department);
  await page.fill('#f-source_url', '');
  // Save without a source: the loader's message, at the field.
  await page.keyboard.press('Control+s');
  await status(page, '検証エラーを直してください');
  const fieldError = await page.locator('#f-source_url-error').innerText();
  const listed = await page.locator('#problems li').allTextContents();
  check('no source: refused, the loader\'s message shown at the source field',
    fieldError.length > 0 && (await page.getAttribute('#f-source_url', 'aria-invalid')) === 'true'
    && listed.some((p) => p.includes(`[${expected.faq.id}] source_url:`)), { fieldError, listed });
  await shot(page, 'editor-validation.png', true);
  await page.fill('#f-source_url', expected.faq.source_url);
  await page.selectOption('#f-certainty', expected.faq.certainty);
  await page.fill('#f-notes', expected.faq.notes);
  await page.fill('#f-source_date', expected.faq.source_date);
  await page.fill('#f-reviewed', expected.faq.reviewed);
  // Preview: the answer with the edit, next to today's.
  await page.fill('#p-question', expected.citizen_question);
  let started = Date.now();
  await page.click('#preview');
  await status(page, 'プレビューしました');
  result.timings.preview_ms = Date.now() - started;
  const previewed = await page.locator('#preview-result .answer.edited').first().innerText();
  check('preview: the new FAQ answers the citizen\'s question', previewed.includes(expected.faq.question), previewed);
  await shot(page, 'editor-preview.png', true);
  result.axe.entry = await runAxe(page, 'entry form');
  // Save by keyboard.
  started = Date.now();
  await page.keyboard.press('Control+s');
  await status(page, '回答に反映済み');
  result.timings.save_ms = Date.now() - started;
  check('saved as version 1', (await page.locator('#entry-meta').innerText()).includes('版 1'));

  // Another node serves the new version once it has heard the save and rebuilt (a few seconds): wait for it.
  if (expected.widget_base) {
    const version = async (b) => (await (await fetch(b + '/readyz')).json()).kb_version;
    const want = await version(base);
    const waited = Date.now();
    while (await version(expected.widget_base) !== want) {
      if (Date.now() - waited > 60000) throw new Error('the other node never served the saved version');
      await new Promise((r) => setTimeout(r, 100));
    }
    result.timings.other_node_ms = Date.now() - started;  // from pressing Ctrl+S to the other node serving it
  }
  // A citizen asks in the widget on the demo page.
  const citizen = await context.newPage();
  await citizen.goto((expected.widget_base || base) + '/');  // another node, when given
  started = Date.now();
  await citizen.locator('#kawasaki-chat .launch').click();
  await citizen.locator('#kawasaki-chat #kc-q').fill(expected.citizen_question);
  await citizen.keyboard.press('Enter');
  await citizen.waitForFunction(() => document.querySelector('#kawasaki-chat').shadowRoot
    .querySelectorAll('.log > .msg.b h3').length >= 1, null, { timeout: 30000 });
  result.timings.widget_answer_ms = Date.now() - started;
  const answer = citizen.locator('#kawasaki-chat .log > .msg.b').last();
  const title = await answer.locator('h3').innerText();
  const href = await answer.locator('.meta a').first().getAttribute('href');
  check('widget: the citizen gets the new FAQ with its source', title.includes(expected.faq.question)
    && href === expected.faq.source_url, { title, href });
  await citizen.screenshot({ path: path.join(artifacts, 'editor-widget-answer.png') });
  result.screenshots.push(path.join(artifacts, 'editor-widget-answer.png'));

  // History: the version, its diff.
  await page.bringToFront();
  await page.click('#history');
  await page.locator('#version-list li').first().waitFor();
  await page.waitForFunction(() => document.getElementById('diff').textContent.includes('+'));
  const diff = await page.locator('#diff').innerText();
  check('history: version 1 by the editor, with its diff', (await page.locator('#version-list').innerText()).includes(expected.user)
    && diff.includes(expected.faq.source_url), diff.slice(0, 200));
  await shot(page, 'editor-history.png', true);
  check('no script errors', errors.length === 0, errors);
  result.ok = checks.every((c) => c.ok);
} catch (err) {
  await failed(browser, result, err, { artifacts, prefix: 'editor-',
    describe: async (p) => 'status: ' + (await p.locator('#status').innerText()) });
} finally {
  await browser.close();
  emit(result);
}
process.exit(result.ok ? 0 : 1);
