// Browser test of the staff dashboard (/staff/), driven by tests/test_staff_browser.py.
//
//   node tests/browser/staff.spec.mjs BASE_URL ARTIFACT_DIR '{"user": …, "password": …, "total": …, "benefit": …}'
//
// Drives Debian's Chromium with playwright-core. Prints {"event": "step", …} lines, then one
// {"event": "result", …}; exit code 0 when every check passed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { check, checks, emit, failed, launch, runAxe } from './harness.mjs';

const [base, artifacts = 'test-artifacts', expectedJson = '{}'] = process.argv.slice(2);
const expected = JSON.parse(expectedJson);
mkdirSync(artifacts, { recursive: true });
const num = (n) => n.toLocaleString('ja-JP');

const status = (page, text) => page.waitForFunction((t) => document.getElementById('status').textContent.includes(t),
  text, { timeout: 20000 });

const browser = await launch();
const result = { event: 'result', ok: false, checks, axe: {}, screenshots: [] };
try {
  // bypassCSP: only so that the test can inject axe-core; the page itself runs under the service's CSP.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // network refusals (the signed-out 401 of /api/v1/me, no favicon) are expected; script errors are not
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });

  await page.goto(base + '/staff/');
  await page.waitForURL(/\/login\?next=/);
  check('signed out: sent to the sign-in page', page.url().includes('next=%2Fstaff%2F'));
  await page.fill('#name', expected.user);
  await page.fill('#password', expected.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/staff\/$/);
  await status(page, '概要を表示しました');
  const kpi = await page.locator('#kpis .kpi').first().innerText();
  check('overview: the total of the log', kpi.includes(num(expected.total)), kpi);
  check('overview: voice-type counts shown', (await page.locator('#p-overview [data-voices]').innerText()).includes('苦情'));
  check('overview: charts drawn as SVG', await page.locator('#volume svg rect.bar').count() > 10);
  const ticks = (await page.locator('#volume svg text.tick').allTextContents()).map((t) => Number(t.replace(/,/g, '')));
  const tickStep = ticks[1] - ticks[0];
  check('overview: round axis ticks (0, then equal steps of 1, 2, 2.5 or 5 × 10^n)', ticks[0] === 0 && ticks.length <= 6
    && ticks.every((t, i) => t === i * tickStep) && /^(1|2|25|5)0*$/.test(String(tickStep)), ticks);
  check('overview: the last week, cut by today, is marked partial',
    await page.locator('#volume rect.bar.partial').count() === 1
    && (await page.locator('#volume .chart-note').innerText()).includes('途中'));
  const cdp = await context.newCDPSession(page);
  await cdp.send('DOM.enable'); await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'header h1' });
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  check('Japanese text is drawn in a sans-serif face (Noto Sans CJK JP), not a monospaced fallback',
    fonts.some((f) => f.familyName.startsWith('Noto Sans CJK JP')) && !fonts.some((f) => /Mono|IPAGothic$/.test(f.familyName)), fonts);
  result.screenshots.push(path.join(artifacts, 'staff-overview.png'));
  await page.screenshot({ path: result.screenshots.at(-1), fullPage: true });
  result.axe.overview = await runAxe(page, 'overview');

  // keyboard: arrow keys move between tabs
  await page.locator('#tab-overview').focus();
  await page.keyboard.press('ArrowRight');
  check('arrow key selects the next tab', await page.locator('#tab-list').getAttribute('aria-selected') === 'true');
  await status(page, '問い合わせ一覧を表示しました');
  check('list: 50 rows and the total', await page.locator('#rows tr').count() === 50
    && (await page.locator('#list-count').innerText()).startsWith(num(expected.total)));
  const wrapped = await page.evaluate(() => [...document.querySelectorAll('#rows td.nowrap')].filter((td) => {
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const range = document.createRange(); range.selectNodeContents(text);
      if (new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1) return true;  // two lines
    }
    return false;
  }).map((td) => td.textContent));
  check('list: dates, channels, wards and tags stay on one line (no 「麻生/区」)', wrapped.length === 0, wrapped.slice(0, 5));
  await page.fill('#f-q', '給付金');
  await page.locator('#f-q').press('Enter');
  await status(page, `問い合わせ一覧を表示しました（${num(expected.benefit)}件）`);
  check('keyword filter narrows the list', (await page.locator('#csv').getAttribute('href')).includes('q=%E7%B5%A6'));
  result.axe.list = await runAxe(page, 'list');
  await page.click('#f-reset');
  await status(page, `問い合わせ一覧を表示しました（${num(expected.total)}件）`);

  // A slow earlier answer must not draw over a newer one: the unfiltered list is held back while the
  // filtered one is asked for and shown; when the held answer arrives at last, the filtered list stays.
  let releaseSlow; const held = new Promise((resolve) => { releaseSlow = resolve; });
  let slowArrived = false;
  await page.route((u) => u.pathname === '/api/v1/inquiries' && !u.searchParams.has('q'), async (route) => {
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
    slowArrived = true;
  });
  await page.locator('#filters button[type="submit"]').click();  // the unfiltered list again: held back
  await page.fill('#f-q', '給付金');
  await page.locator('#f-q').press('Enter');
  await status(page, `問い合わせ一覧を表示しました（${num(expected.benefit)}件）`);
  releaseSlow();
  for (let i = 0; i < 50 && !slowArrived; i++) await page.waitForTimeout(50);
  await page.waitForTimeout(200);  // time for the page to draw it, were it to
  check('a slow earlier answer does not draw over the newer filtered list', slowArrived
    && (await page.locator('#list-count').innerText()).startsWith(num(expected.benefit))
    && (await page.locator('#status').innerText()).includes(`${num(expected.benefit)}件`),
    await page.locator('#list-count').innerText());
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.click('#f-reset');

  await page.click('#tab-gaps');
  await status(page, '答えられなかった質問を表示しました');
  const firstGap = await page.locator('#gaps tr').first().innerText();
  check('gaps: the biggest cluster is the new benefit', firstGap.includes('給付金') && firstGap.includes(String(expected.benefit)), firstGap);
  result.axe.gaps = await runAxe(page, 'gaps');

  await page.click('#tab-rising');
  await status(page, '急上昇の話題を表示しました');
  const firstRising = await page.locator('#rising-words tr').first().innerText();
  check('rising: 給付金 first', firstRising.startsWith('給付金'), firstRising);
  check('rising: weekly sparklines', await page.locator('#rising-words svg polyline').count() > 0);
  result.axe.rising = await runAxe(page, 'rising');

  await page.click('#tab-words');
  await status(page, '言葉の分析を表示しました');
  await page.fill('#kwic-word', '給付金');
  await page.locator('#kwic-word').press('Enter');
  await status(page, 'のKWIC');
  check('KWIC lines with the keyword', await page.locator('#kwic td.key').count() > 0
    && (await page.locator('#kwic td.key').first().innerText()) === '給付金');
  check('cross table drawn', await page.locator('#crosstab tbody tr').count() > 0);
  result.axe.words = await runAxe(page, 'words');

  await page.click('#tab-phrasings');
  await status(page, '言い換えの提案を表示しました');
  const before = await page.locator('#phrasings tr').count();
  await page.locator('#phrasings button', { hasText: '採用' }).first().focus();
  await page.keyboard.press('Enter');
  await status(page, '採用しました');
  await page.waitForFunction((n) => document.querySelectorAll('#phrasings tr').length === n - 1 || n === 1, before);
  check('a proposal accepted by keyboard (CSRF token sent)', (await page.locator('#ph-counts').innerText()).includes('採用 1件'));
  result.axe.phrasings = await runAxe(page, 'phrasings');

  await page.click('#tab-report');
  await page.waitForFunction(() => !document.getElementById('status').textContent.includes('読み込み中'), null, { timeout: 5000 });
  check('report tab: the status says the report can be opened', (await page.locator('#status').innerText()).includes('月次レポート'));
  await page.fill('#report-month', '2026-10');
  await page.locator('#report-month').dispatchEvent('change');
  await status(page, '2026年10月の月次レポート');
  const href = await page.locator('#report-open').getAttribute('href');
  check('report link for the month', href.includes('month=2026-10'), href);
  const report = await page.request.get(base + href);
  check('the report opens (signed-in cookie)', report.status() === 200 && (await report.text()).includes('2026年10月'));

  await page.click('#tab-kb');
  await status(page, '知識の鮮度を表示しました');
  check('stale and uncertain facts listed', await page.locator('#kb-findings tr').count() > 0);
  await page.selectOption('#kb-kind', 'secondary');
  await status(page, '知識の鮮度を表示しました');
  check('filtered to one kind', (await page.locator('#kb-findings td:first-child').allInnerTexts()).every((t) => t === '二次情報・未確認'));
  result.axe.kb = await runAxe(page, 'kb');
  // a period without inquiries says so, with no axes over nothing
  await page.click('#tab-overview');
  await status(page, '概要を表示しました');
  await page.fill('#f-from', '2025-01-01');
  await page.fill('#f-to', '2025-01-31');
  await page.click('#filters button[type=submit]');
  await status(page, 'この期間の問い合わせはありません');
  check('empty period: 「この期間の問い合わせはありません」 and no chart', await page.locator('#volume svg').count() === 0
    && (await page.locator('#volume').innerText()).includes('この期間の問い合わせはありません')
    && (await page.locator('#by-ward').innerText()).includes('この期間の問い合わせはありません'));
  result.screenshots.push(path.join(artifacts, 'staff-empty-period.png'));
  await page.screenshot({ path: result.screenshots.at(-1), fullPage: true });
  await page.click('#f-reset');

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ja-JP', bypassCSP: true,
    storageState: await context.storageState() });
  const small = await phone.newPage();
  await small.goto(base + '/staff/');
  await status(small, '概要を表示しました');
  result.screenshots.push(path.join(artifacts, 'staff-phone.png'));
  await small.screenshot({ path: result.screenshots.at(-1) });
  result.axe.phone = await runAxe(small, 'phone');
  check('no script errors', errors.length === 0, errors);
  result.ok = checks.every((c) => c.ok);
} catch (err) {
  await failed(browser, result, err, { artifacts, prefix: 'staff-',
    describe: async (p) => 'status: ' + (await p.locator('#status').innerText()) });
} finally {
  await browser.close();
  emit(result);
}
process.exit(result.ok ? 0 : 1);
