// Browser test of the chat widget on the demo page, driven by tests/test_widget_browser.py.
//
//   node tests/browser/widget.spec.mjs BASE_URL ARTIFACT_DIR
//
// Drives Debian's Chromium (/usr/bin/chromium) with playwright-core: no browser download.
// Prints one JSON object per line on stdout: {"event": "step", ...} as it goes; {"event": "restart-server"}
// then waits for "down" on stdin, {"event": "start-server"} then waits for "up"; last {"event": "result", ...}.
// Exit code 0 when every check passed.
import { createInterface } from 'node:readline';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { check, checks, emit, failed, launch, runAxe } from './harness.mjs';

const [base, artifacts = 'test-artifacts'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node widget.spec.mjs BASE_URL [ARTIFACT_DIR]');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
for (const old of readdirSync(artifacts)) if (/^failure-\d+\.png$/.test(old)) rmSync(path.join(artifacts, old));

const lines = createInterface({ input: process.stdin });
const waiting = [];
const received = [];
lines.on('line', (line) => (waiting.length ? waiting.shift()(line.trim()) : received.push(line.trim())));
const signal = (name) => new Promise((resolve, reject) => {
  const check = (line) => (line === name ? resolve() : reject(new Error(`expected "${name}" on stdin, got "${line}"`)));
  if (received.length) check(received.shift()); else waiting.push(check);
});


// -- helpers over the widget's shadow DOM (Playwright's CSS locators pierce open shadow roots) --------
const W = '#kawasaki-chat';
const messages = (page) => page.locator(`${W} .log > .msg`);
const botAnswers = (page) => page.locator(`${W} .log > .msg.b`);
const userMessages = (page) => page.locator(`${W} .log > .msg.u`);
const input = (page) => page.locator(`${W} #kc-q`);
const focused = (page) => page.evaluate(() => {
  const host = document.activeElement;
  const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : host;
  return inner ? { tag: inner.tagName, id: inner.id, cls: inner.className, text: inner.textContent.trim().slice(0, 40),
    outline: getComputedStyle(inner).outlineStyle, outlineWidth: getComputedStyle(inner).outlineWidth } : null;
});

async function waitForAnswerCount(page, n, timeout = 15000) {
  await page.waitForFunction(([sel, n]) => {
    const root = document.querySelector('#kawasaki-chat').shadowRoot;
    return root.querySelectorAll(sel).length >= n;
  }, ['.log > .msg.b', n], { timeout });
  return botAnswers(page).nth(n - 1);
}

async function askByKeyboard(page, text) {
  const before = await botAnswers(page).count();
  await input(page).focus();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  return waitForAnswerCount(page, before + 1);
}

async function shot(page, name) {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file });
  return file;
}

const browser = await launch();
const result = { event: 'result', ok: false, checks, axe: {}, screenshots: [], widget: {} };
try {
  // ---------------------------------------------------------------- desktop: the whole conversation
  // bypassCSP: the demo page's CSP allows only its own scripts; axe-core is injected by the test.
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP', bypassCSP: true });
  const page = await desktop.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(base + '/');
  check('demo page has the widget launcher', await page.locator(`${W} .launch`).isVisible());
  result.screenshots.push(await shot(page, 'desktop-closed.png'));
  result.axe.desktop_closed = await runAxe(page, 'desktop, panel closed');

  // Open the widget with the keyboard only: Tab to the launcher, Enter.
  let f = null;
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    f = await focused(page);
    if (f && String(f.cls).includes('launch')) break;
  }
  check('launcher reachable by Tab', f && String(f.cls).includes('launch'), f);
  check('focus is visible on the launcher', f.outline !== 'none' && parseFloat(f.outlineWidth) >= 2, f);
  await page.keyboard.press('Enter');
  await page.locator(`${W} .panel`).waitFor({ state: 'visible' });
  f = await focused(page);
  check('Enter opens the panel and focuses the question box', f && f.id === 'kc-q', f);
  check('privacy notice is shown', (await page.locator(`${W} .privacy`).innerText()).includes('個人情報'));
  await page.locator(`${W} .st[data-s=online]`).waitFor({ timeout: 10000 });

  // The ward: the session remembers it.
  let answer = await askByKeyboard(page, '中原区です');
  check('ward reply', (await answer.innerText()).includes('中原区'));
  check('ward shown in the panel', (await page.locator(`${W} .bar`).innerText()).includes('中原区'));

  // Japanese IME: Enter that confirms a conversion must not send.
  const sentBefore = await userMessages(page).count();
  await input(page).fill('じゅうみんひょう');
  const ime = await page.evaluate(() => {
    const ta = document.querySelector('#kawasaki-chat').shadowRoot.querySelector('#kc-q');
    const enter = (extra) => {
      const e = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true, ...extra });
      if (extra.keyCode) Object.defineProperty(e, 'keyCode', { get: () => extra.keyCode });
      ta.dispatchEvent(e);
      return e.defaultPrevented;
    };
    ta.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
    const during = enter({ isComposing: true, keyCode: 229 });
    const duringNoFlag = enter({}); // composing, as told by compositionstart only
    ta.dispatchEvent(new CompositionEvent('compositionend', { data: '住民票' }));
    const safariStyle = enter({ keyCode: 229 }); // Safari: keydown after compositionend, keyCode 229
    return { during, duringNoFlag, safariStyle, value: ta.value };
  });
  await page.waitForTimeout(300);
  check('IME Enter does not send', (await userMessages(page).count()) === sentBefore && !ime.during
    && !ime.duringNoFlag && !ime.safariStyle && ime.value === 'じゅうみんひょう', ime);
  await input(page).fill('');

  // A question by keyboard, an answer with its source, department and review date.
  answer = await askByKeyboard(page, '住民票の写しはどこで取れますか');
  const title = await answer.locator('h3').innerText();
  const source = answer.locator('.meta a');
  const href = await source.getAttribute('href');
  const meta = await answer.locator('.meta').innerText();
  result.widget.first_answer = { title, href, meta };
  check('answer title', title.includes('住民票'), title);
  check('answer source link', /^https:\/\//.test(href) && (await source.getAttribute('target')) === '_blank', href);
  check('answer department', meta.includes('担当') && meta.includes('区民課'), meta);
  check('answer review date', /情報確認日\s*\d{4}年\d{1,2}月\d{1,2}日/.test(meta), meta);

  // A follow-up button, clicked.
  const followUp = answer.locator('.chips button', { hasText: '必要な持ち物は？' });
  check('follow-ups are buttons', (await answer.locator('.chips button').count()) >= 2);
  const answersBefore = await botAnswers(page).count();
  await followUp.click();
  answer = await waitForAnswerCount(page, answersBefore + 1);
  check('follow-up answered', (await answer.innerText()).includes('持ち物'));

  // Feedback: 役に立った, then an optional comment.
  await answer.locator('.fb button', { hasText: '役に立った' }).click();
  check('feedback pressed', (await answer.locator('.fb button[aria-pressed=true]').innerText()).includes('役に立った'));
  await answer.locator('.fb textarea').fill('土曜日の受付時間も知りたいです');
  await answer.locator('.fb button', { hasText: '意見を送る' }).click();
  await answer.locator('.fb', { hasText: 'ご意見ありがとうございました' }).waitFor();
  check('feedback comment thanked', true);

  // A life event: the answer carries a checklist.
  answer = await askByKeyboard(page, '子どもが生まれたときの手続き');
  await page.waitForTimeout(200);
  const placed = await page.evaluate(() => {
    const root = document.querySelector('#kawasaki-chat').shadowRoot;
    const log = root.querySelector('.log'), panel = root.querySelector('.panel');
    const last = [...log.querySelectorAll('.msg.b')].at(-1);
    return { offset: last.getBoundingClientRect().top - log.getBoundingClientRect().top, taller: last.offsetHeight > log.clientHeight,
      logHeight: log.clientHeight, panelHeight: panel.clientHeight, atBottom: log.scrollTop + log.clientHeight >= log.scrollHeight - 2 };
  });
  result.widget.placed = placed;
  check('a long answer starts at the top of the message area, not scrolled past', placed.offset >= 0 && placed.offset <= 16, placed);
  check('desktop: the conversation has most of the panel', placed.logHeight >= 0.55 * placed.panelHeight
    && placed.panelHeight >= 700, placed);
  const icon = await page.request.get(base + '/favicon.ico');
  check('the site icon is served', icon.status() === 200 && icon.headers()['content-type'] === 'image/vnd.microsoft.icon');
  const items = answer.locator('.check input[type=checkbox]');
  check('life-event answer is a checklist', (await items.count()) >= 3, await items.count());
  await items.first().focus();
  await page.keyboard.press('Space');
  check('checklist item ticked by keyboard', await items.first().isChecked());
  result.screenshots.push(await shot(page, 'desktop-open.png'));
  result.axe.desktop_open = await runAxe(page, 'desktop, conversation open');

  // Text scales with the browser's font size.
  const sizes = await page.evaluate(() => {
    const bubble = document.querySelector('#kawasaki-chat').shadowRoot.querySelector('.bubble');
    const before = parseFloat(getComputedStyle(bubble).fontSize);
    document.documentElement.style.fontSize = '200%';
    const after = parseFloat(getComputedStyle(bubble).fontSize);
    document.documentElement.style.fontSize = '';
    return { before, after };
  });
  check('text scales with the root font size', sizes.after >= sizes.before * 1.8, sizes);

  // Injected HTML is shown as text, never run.
  await askByKeyboard(page, '<img src=x onerror="window.__xss=1">');
  const xss = await page.evaluate(() => ({
    ran: window.__xss === 1, imgs: document.querySelector('#kawasaki-chat').shadowRoot.querySelectorAll('img').length }));
  check('injected HTML is inert', !xss.ran && xss.imgs === 0, xss);

  // The server dies mid-conversation and comes back on the same port and database.
  const sessionBefore = await page.evaluate(() => JSON.parse(sessionStorage.getItem('kawasaki-chat:v1')).sid);
  const countBefore = await messages(page).count();
  emit({ event: 'restart-server' });
  await signal('down');
  await page.locator(`${W} .st[data-s=offline]`).waitFor({ timeout: 15000 });
  check('the widget says the connection is lost', (await page.locator(`${W} .st`).innerText()).includes('再接続'));
  await input(page).focus();
  await page.keyboard.type('区役所の開庁時間は');
  await page.keyboard.press('Enter');
  await page.locator(`${W} .pending`).waitFor();
  check('a question typed while offline waits to be sent', true);
  const answersOffline = await botAnswers(page).count();
  emit({ event: 'start-server' });
  await signal('up');
  answer = await waitForAnswerCount(page, answersOffline + 1, 30000);
  const afterRestart = await answer.innerText();
  const sessionAfter = await page.evaluate(() => JSON.parse(sessionStorage.getItem('kawasaki-chat:v1')).sid);
  check('answered after the restart', afterRestart.includes('開庁'), afterRestart.slice(0, 80));
  check('the ward is remembered across the restart', afterRestart.includes('中原区'), afterRestart.slice(0, 80));
  check('same session and no message lost', sessionAfter === sessionBefore && (await messages(page).count()) > countBefore,
    { sessionBefore, sessionAfter });
  await page.locator(`${W} .st[data-s=online]`).waitFor();

  // A reload keeps the conversation (sessionStorage) and the ticked checklist item.
  const countReload = await messages(page).count();
  await page.reload();
  await page.locator(`${W} .panel`).waitFor({ state: 'visible' });
  check('reload keeps the conversation', (await messages(page).count()) === countReload);
  check('reload keeps the checklist', await page.locator(`${W} .check input`).first().isChecked());

  // A human: in the contact center's hours the chat joins the operator queue.
  await input(page).focus();
  await page.keyboard.type('オペレーターと話したい');
  await page.keyboard.press('Enter');
  const handoff = page.locator(`${W} .msg.s`, { hasText: '番目' }).last();
  await handoff.waitFor({ timeout: 15000 });
  const handoffText = await handoff.innerText();
  check('handoff queued with position and phone', handoffText.includes('1番目') && handoffText.includes('044-200-3939'),
    handoffText);
  check('phone number is a tel: link', (await handoff.locator('a[href^="tel:"]').count()) === 1);

  // English, switchable.
  await page.locator(`${W} header button`, { hasText: 'English' }).click();
  check('English labels', (await page.locator(`${W} form label`).innerText()) === 'Your question'
    && (await page.locator(`${W} .panel`).getAttribute('lang')) === 'en');
  result.screenshots.push(await shot(page, 'desktop-english.png'));
  result.axe.desktop_english = await runAxe(page, 'desktop, English');
  await page.locator(`${W} header button`, { hasText: '日本語' }).click();
  check('back to Japanese', (await page.locator(`${W} form label`).innerText()) === 'ご質問');

  // Escape closes the panel and gives focus back to the launcher.
  await input(page).focus();
  await page.keyboard.press('Escape');
  f = await focused(page);
  check('Escape closes and returns focus', !(await page.locator(`${W} .panel`).isVisible()) && String(f.cls).includes('launch'), f);
  check('no page errors', pageErrors.length === 0, pageErrors);
  await desktop.close();

  // ---------------------------------------------------------------- HTTP fallback: no WebSocket
  const noWs = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
  await noWs.routeWebSocket(/\/api\/v1\/chat/, (ws) => ws.close({ code: 1011, reason: 'blocked by test' }));
  const page2 = await noWs.newPage();
  await page2.goto(base + '/');
  await page2.locator(`${W} .launch`).click();
  answer = await askByKeyboard(page2, '住民票の写しはどこで取れますか');
  check('HTTP fallback answers without a WebSocket', (await answer.locator('h3').innerText()).includes('住民票'));
  check('HTTP fallback is shown', (await page2.locator(`${W} .st`).getAttribute('data-s')) === 'http');
  await noWs.close();

  // ---------------------------------------------------------------- phone: touch, narrow screen
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true,
    hasTouch: true, locale: 'ja-JP', bypassCSP: true });
  const page3 = await phone.newPage();
  await page3.goto(base + '/');
  result.screenshots.push(await shot(page3, 'phone-closed.png'));
  await page3.locator(`${W} .launch`).tap();
  const box = await page3.locator(`${W} .panel`).boundingBox();
  check('panel fills the phone screen', box && box.width >= 389 && box.height >= 800, box);
  await input(page3).tap();
  await input(page3).fill('転入届を出したい');
  await page3.locator(`${W} .go`).tap();
  answer = await waitForAnswerCount(page3, 2);
  check('phone answer', (await answer.locator('h3').innerText()).includes('転入'));
  const sizes3 = await page3.evaluate(() => [...document.querySelector('#kawasaki-chat').shadowRoot
    .querySelectorAll('.panel button')].filter((b) => b.offsetParent).map((b) => b.getBoundingClientRect().height));
  check('touch targets at least 44px high', Math.min(...sizes3) >= 44, Math.min(...sizes3));
  result.screenshots.push(await shot(page3, 'phone-open.png'));
  await answer.locator('.chips button').first().tap();
  await waitForAnswerCount(page3, 3);
  check('phone follow-up tapped and answered', true);
  result.axe.phone_open = await runAxe(page3, 'phone, conversation open');
  await phone.close();
  result.ok = checks.every((c) => c.ok);
} catch (err) {
  await failed(browser, result, err, { artifacts,
    describe: async (p) => 'chat log:\n' + (await p.locator(`${W} .log`).innerText()).slice(-800) });
} finally {
  await browser.close();
  emit(result);
  lines.close();
}
process.exit(result.ok ? 0 : 1);
