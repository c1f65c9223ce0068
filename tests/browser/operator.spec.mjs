// Browser test of the operator console with a citizen in the widget, driven by tests/test_operator_browser.py.
//
//   node tests/browser/operator.spec.mjs BASE_URL ARTIFACT_DIR OPERATOR_NAME PASSWORD [OPERATOR_BASE_URL]
//
// Two browser contexts on Debian's Chromium (playwright-core, no browser download): a citizen on the demo page
// of BASE_URL and an operator who signs in at /login of OPERATOR_BASE_URL (BASE_URL when not given; another
// node of the same service in tests/test_nodes_browser.py). Prints {"event": "step", ...} lines, then one {"event": "result", ...}.
// Exit code 0 when every check passed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { check, checks, emit, failed, launch, runAxe } from './harness.mjs';

const [base, artifacts = 'test-artifacts', operatorName, password, operatorArg] = process.argv.slice(2);
const opBase = operatorArg || base;
if (!base || !operatorName || !password) {
  console.error('usage: node operator.spec.mjs BASE_URL ARTIFACT_DIR OPERATOR_NAME PASSWORD');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });


const W = '#kawasaki-chat';
const botAnswers = (page) => page.locator(`${W} .log > .msg.b`);

async function citizenAsks(page, text) {
  const before = await botAnswers(page).count();
  await page.locator(`${W} #kc-q`).fill(text);
  await page.keyboard.press('Enter');
  await page.waitForFunction(([n]) => document.querySelector('#kawasaki-chat').shadowRoot
    .querySelectorAll('.log > .msg.b').length >= n, [before + 1], { timeout: 15000 });
}


const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

const browser = await launch();
const result = { event: 'result', ok: false, checks, axe: {}, screenshots: [] };
const pageErrors = [];
try {
  // ------------------------------------------------------------------ the citizen asks, then for a human
  const citizenCtx = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'ja-JP' });
  const citizen = await citizenCtx.newPage();
  citizen.on('pageerror', (e) => pageErrors.push('citizen: ' + String(e)));
  await citizen.goto(base + '/');
  await citizen.locator(`${W} .launch`).click();
  await citizen.locator(`${W} .st[data-s=online]`).waitFor({ timeout: 10000 });
  await citizenAsks(citizen, '住民票はいくらですか');
  await citizen.locator(`${W} #kc-q`).fill('オペレーターと話したい');
  await citizen.keyboard.press('Enter');
  await citizen.locator(`${W} .msg.s`, { hasText: '番目' }).waitFor({ timeout: 15000 });
  check('citizen is queued for an operator', true);

  // ------------------------------------------------------------------ the operator signs in
  const opCtx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'ja-JP',
    permissions: ['clipboard-read', 'clipboard-write'] });
  const op = await opCtx.newPage();
  op.on('pageerror', (e) => pageErrors.push('operator: ' + String(e)));
  op.on('console', (m) => {  // CSP refusals and script errors; the 401 of the signed-out first visit is expected
    if (m.type() === 'error' && !m.text().includes('status of 401')) pageErrors.push('operator console: ' + m.text());
  });
  await op.goto(opBase + '/operator/');
  await op.waitForURL(/\/login\?next=/, { timeout: 10000 });
  check('signed out: the console sends the operator to /login', op.url().includes('next=%2Foperator%2F'), op.url());
  await op.locator('#name').fill(operatorName);
  await op.locator('#password').fill(password);
  await op.keyboard.press('Enter');
  await op.waitForURL(/\/operator\/$/, { timeout: 10000 });
  await op.locator('#conn[data-state=online]').waitFor({ timeout: 10000 });
  check('the query box has the focus on load', (await focusedId(op)) === 'q', await focusedId(op));

  // ------------------------------------------------------------------ suggestions by keyboard
  await op.keyboard.type('住民');
  await op.locator('#suggestions [role=option]').first().waitFor({ timeout: 10000 });
  const first = await op.locator('#suggestions [role=option]').first().innerText();
  check('suggestions appear while typing a prefix', first.includes('住民票'), first);
  check('the first suggestion is active', (await op.locator('#q').getAttribute('aria-activedescendant')) === 'sug-0');
  await op.keyboard.type('票の写し');
  await op.waitForFunction(() => document.querySelector('#detail h3')
    && document.querySelector('#detail h3').textContent.includes('住民票の写し'), null, { timeout: 10000 });
  const detailText = await op.locator('#detail').innerText();
  check('the detail shows what to bring, the fee and where to forward',
    detailText.includes('持ち物') && detailText.includes('手数料') && detailText.includes('転送先')
    && /044-\d{3}-\d{4}/.test(detailText), detailText.slice(0, 300));
  const phones = await op.locator('#detail table.forward td.num').allInnerTexts();
  check('every forwarding target has a number or says 未確認, never a bare dash',
    phones.length > 0 && phones.every((t) => /^0\d{1,4}-\d{1,4}-\d{4}$/.test(t) || t === '未確認'), phones);
  result.screenshots.push(path.join(artifacts, 'operator-suggestions.png'));
  await op.screenshot({ path: result.screenshots.at(-1), fullPage: true });
  const count = await op.locator('#suggestions [role=option]').count();
  await op.keyboard.press('ArrowDown');
  check('↓ moves to the next suggestion', count < 2
    || (await op.locator('#q').getAttribute('aria-activedescendant')) === 'sug-1');
  await op.keyboard.press('ArrowUp');
  check('↑ moves back', (await op.locator('#q').getAttribute('aria-activedescendant')) === 'sug-0');
  await op.keyboard.press('Control+c');
  await op.waitForFunction(() => document.querySelector('#s-status').textContent.includes('コピー'), null, { timeout: 5000 });
  const copied = await op.evaluate(() => navigator.clipboard.readText());
  check('Ctrl+C copies the answer', copied.includes('住民票') && copied.length > 20, copied.slice(0, 80));
  await op.keyboard.press('Enter');
  await op.locator('#r-entry', { hasText: '住民票の写し' }).waitFor({ timeout: 5000 });
  check('Enter prefills the record form', (await op.locator('#r-text').inputValue()) === '住民票の写し'
    && (await op.locator('#r-category').inputValue()) !== '' && (await op.locator('#r-forward').inputValue()) !== '',
  { text: await op.locator('#r-text').inputValue(), forward: await op.locator('#r-forward').inputValue() });
  await op.locator('#r-note').fill('折り返し先 090-1234-5678');
  await op.locator('input[name=resolution][value=forwarded]').check();
  await op.locator('#q').focus();
  await op.keyboard.press('Control+Enter');
  await op.locator('#r-status', { hasText: '記録しました' }).waitFor({ timeout: 10000 });
  check('Ctrl+Enter saves the record', true);
  check('the form is cleared after saving', (await op.locator('#r-text').inputValue()) === ''
    && (await op.locator('#q').inputValue()) === '');
  await op.keyboard.type('いんかんと');
  await op.locator('#suggestions [role=option]').first().waitFor({ timeout: 10000 });
  await op.waitForFunction(() => document.querySelector('#suggestions').textContent.includes('印鑑'), null, { timeout: 10000 });
  check('kana typed so far finds 印鑑', true);
  await op.keyboard.press('Escape');
  check('Esc clears the box and the suggestions', (await op.locator('#q').inputValue()) === ''
    && (await op.locator('#suggestions [role=option]').count()) === 0);

  // ------------------------------------------------------------------ the chat: claim, talk, close
  const waiting = op.locator('#waiting li', { hasText: '住民票はいくらですか' });
  await waiting.waitFor({ timeout: 10000 });
  check('the waiting chat shows the citizen\'s last question', true);
  check('the waiting chat shows the citizen connected', !(await waiting.innerText()).includes('未接続'),
    await waiting.innerText());
  result.screenshots.push(path.join(artifacts, 'operator-console.png'));
  await op.screenshot({ path: result.screenshots.at(-1), fullPage: true });
  result.axe.console = await runAxe(op, 'operator console');
  await waiting.getByRole('button', { name: /対応する/ }).click();
  await op.locator('#conv:not([hidden])').waitFor({ timeout: 10000 });
  await op.locator('#conv-history li', { hasText: '住民票はいくらですか' }).waitFor({ timeout: 10000 });
  check('claiming opens the chat with the bot history', true);
  check('the reply box gets the focus', (await focusedId(op)) === 'reply', await focusedId(op));
  await citizen.locator(`${W} .msg.s`, { hasText: 'オペレーターが対応します' }).waitFor({ timeout: 10000 });
  check('the citizen is told an operator joined', true);

  await op.keyboard.type('お電話ありがとうございます。住民票は1通300円です。');
  await op.keyboard.press('Enter');
  const fromOperator = citizen.locator(`${W} .msg.o`, { hasText: '1通300円' });
  await fromOperator.waitFor({ timeout: 10000 });
  check('the citizen sees the operator\'s message as the operator\'s',
    (await fromOperator.locator('.who').innerText()) === 'オペレーター');
  await citizen.locator(`${W} #kc-q`).fill('ありがとうございます。土曜日も取れますか');
  await citizen.keyboard.press('Enter');
  await op.locator('#conv-log li.citizen', { hasText: '土曜日も取れますか' }).waitFor({ timeout: 10000 });
  check('the operator sees the citizen\'s message', true);
  await citizen.waitForFunction(() => !document.querySelector('#kawasaki-chat').shadowRoot.querySelector('.pending'),
    null, { timeout: 10000 });
  const botAfter = await botAnswers(citizen).count();
  await op.locator('#reply').fill('はい、第2・第4土曜日の午前に取れます。');
  await op.locator('#reply-form button[type=submit]').click();
  await citizen.locator(`${W} .msg.o`, { hasText: '第2・第4土曜日' }).waitFor({ timeout: 10000 });
  check('the bot stayed silent while the operator had the chat', (await botAnswers(citizen).count()) === botAfter);
  result.screenshots.push(path.join(artifacts, 'operator-chat.png'));
  await op.screenshot({ path: result.screenshots.at(-1), fullPage: true });
  result.screenshots.push(path.join(artifacts, 'operator-chat-citizen.png'));
  await citizen.screenshot({ path: result.screenshots.at(-1) });

  await op.locator('#close-res').selectOption('answered');
  await op.locator('#close-note').fill('土曜開庁を案内');
  await op.locator('#close-form button[type=submit]').click();
  await op.locator('#chat-live', { hasText: '記録しました' }).waitFor({ timeout: 10000 });
  check('closing hides the chat and says it was recorded', await op.locator('#conv').isHidden());
  await citizen.locator(`${W} .msg.s`, { hasText: '終了しました' }).waitFor({ timeout: 10000 });
  check('the citizen is told the chat is closed', true);
  result.screenshots.push(path.join(artifacts, 'operator-closed.png'));
  await op.screenshot({ path: result.screenshots.at(-1), fullPage: true });
  result.axe.after_chat = await runAxe(op, 'operator console after a chat');
  check('no page errors', pageErrors.length === 0, pageErrors);
  result.ok = checks.every((c) => c.ok);
} catch (err) {
  await failed(browser, result, err, { artifacts, prefix: 'operator-' });
} finally {
  await browser.close();
  emit(result);
}
process.exit(result.ok ? 0 : 1);
