// Hostile content in the chat widget, driven by tests/test_hostile.py.
//
//   node tests/browser/hostile.spec.mjs BASE_URL ARTIFACT_DIR
//
// The server runs a knowledge base with one FAQ whose title, answer, department and source URL are HTML
// and JavaScript injections (see HOSTILE_FAQ in tests/test_hostile.py); the citizen types injections too.
// 1. With the page's CSP bypassed, so that only the widget's own rendering protects the page: nothing
//    injected runs (window.__xss stays unset), no element is created from server or user text, the
//    javascript: source URL is not a link, and the injected markup is shown as plain text.
// 2. Under the real CSP of the demo page: the widget connects over WebSocket, answers, and the page
//    reports no CSP violation and no error.
// Prints one JSON object per line: {"event": "step", ...} as it goes, last {"event": "result", ...}.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { check, checks, emit, failed, launch } from './harness.mjs';

const [base, artifacts = 'test-artifacts'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node hostile.spec.mjs BASE_URL [ARTIFACT_DIR]');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const W = '#kawasaki-chat';
const USER_INJECTIONS = [
  '<img src=x onerror="window.__xss=101">',
  '<script>window.__xss=102</script>',
  '"><svg onload="window.__xss=103">',
  '\u202e<iframe src="javascript:window.__xss=104"></iframe>',
];

async function ask(page, text) {
  const before = await page.locator(`${W} .log > .msg.b`).count();
  await page.locator(`${W} #kc-q`).fill(text);
  await page.locator(`${W} #kc-q`).press('Enter');
  await page.waitForFunction(([n]) => {
    const root = document.querySelector('#kawasaki-chat').shadowRoot;
    return root.querySelectorAll('.log > .msg.b').length > n;
  }, [before], { timeout: 15000 });
  return page.locator(`${W} .log > .msg.b`).nth(before);
}

const inspect = (page) => page.evaluate(() => {
  const root = document.querySelector('#kawasaki-chat').shadowRoot;
  const all = [document, root];
  const count = (sel) => all.reduce((n, r) => n + r.querySelectorAll(sel).length, 0);
  const handlers = [...root.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name)));
  return {
    xss: window.__xss === undefined ? null : window.__xss,
    injected: count('.log img, .log script, .log svg, .log iframe, .log object, .log embed, .log b'),
    scripts: document.querySelectorAll('script').length,
    jsLinks: count('a[href^="javascript:" i], iframe[src^="javascript:" i]'),
    handlerAttributes: handlers.map((e) => e.tagName),
    log: root.querySelector('.log').innerText,
  };
});

const browser = await launch();
const result = { event: 'result', ok: false, checks, screenshots: [] };
try {
  // ------------------------------------------------ 1. the widget's rendering alone (CSP bypassed)
  const bare = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', bypassCSP: true });
  const page = await bare.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await page.goto(base + '/');
  const scriptsBefore = await page.evaluate(() => document.querySelectorAll('script').length);
  await page.locator(`${W} .launch`).click();
  await page.locator(`${W} .st[data-s=online]`).waitFor({ timeout: 15000 });

  const answer = await ask(page, '粗大ごみを出したい');
  const title = await answer.locator('h3').innerText();
  check('the hostile FAQ is the answer', title.includes('粗大ごみの出し方'), title);
  check('the injected title is shown as text', title.includes('<img src=x onerror='), title);
  const answerText = await answer.innerText();
  check('the injected answer is shown as text', answerText.includes('<script>window.__xss=4</script>'),
    answerText.slice(0, 300));
  check('the javascript: source URL is not a link', (await answer.locator('.meta a').count()) === 0
    && (await answer.locator('.meta').innerText()).includes('javascript:'), await answer.locator('.meta').innerText());
  for (const text of USER_INJECTIONS) await ask(page, text);
  await page.waitForTimeout(500); // give any injected handler (onerror, onload) time to fire
  const seen = await inspect(page);
  result.bare = seen;
  check('nothing injected ran', seen.xss === null && dialogs.length === 0, { xss: seen.xss, dialogs });
  check('no element was created from server or user text', seen.injected === 0 && seen.jsLinks === 0, seen);
  check('no on* attribute anywhere in the widget', seen.handlerAttributes.length === 0, seen.handlerAttributes);
  check('no script was added to the page', seen.scripts === scriptsBefore, { before: scriptsBefore, after: seen.scripts });
  check('the citizen\'s injections are echoed as text', USER_INJECTIONS.every((t) => seen.log.includes(t.replace('\u202e', ''))
    || seen.log.includes(t)), seen.log.slice(-400));
  await page.screenshot({ path: path.join(artifacts, 'hostile-widget.png') });
  result.screenshots.push('hostile-widget.png');
  await bare.close();

  // ------------------------------------------------ 2. the demo page under its real CSP
  const strict = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
  await strict.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(
      { directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));
  });
  const page2 = await strict.newPage();
  const errors = [];
  page2.on('pageerror', (e) => errors.push(String(e)));
  page2.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const response = await page2.goto(base + '/');
  const csp = response.headers()['content-security-policy'] || '';
  check('the demo page has a strict CSP', /script-src 'self'(;|$)/.test(csp) && csp.includes("frame-ancestors 'none'")
    && csp.includes("connect-src 'self'"), csp);
  check('the demo page may not be framed', response.headers()['x-frame-options'] === 'DENY');
  await page2.locator(`${W} .launch`).click();
  await page2.locator(`${W} .st[data-s=online]`).waitFor({ timeout: 15000 });
  check('the widget connects over WebSocket under the CSP', true);
  const strictAnswer = await ask(page2, '粗大ごみを出したい');
  check('the widget answers under the CSP', (await strictAnswer.locator('h3').innerText()).includes('粗大ごみ'));
  await ask(page2, USER_INJECTIONS[0]);
  await page2.waitForTimeout(300);
  const strictSeen = await inspect(page2);
  const violations = await page2.evaluate(() => window.__violations);
  result.strict = { csp, violations, errors };
  check('no CSP violation and no error under the CSP', violations.length === 0 && errors.length === 0,
    { violations, errors });
  check('nothing injected ran under the CSP', strictSeen.xss === null && strictSeen.injected === 0, strictSeen);
  await strict.close();
  result.ok = checks.every((c) => c.ok);
} catch (err) {
  await failed(browser, result, err, { artifacts, prefix: 'hostile-' });
} finally {
  await browser.close();
  emit(result);
}
process.exit(result.ok ? 0 : 1);
