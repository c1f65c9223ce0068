// A newcomer's tour of the pages, as their users see them: screenshots only, no checks.
//
//   node tests/browser/tour.mjs BASE_URL OUT_DIR '{"staff": [name, password], "operator": [name, password]}'
//
// Against a server on a seeded log (scripts/seed-log) with CONTACT_NOW fixed, it saves: the widget after
// two questions on a desktop and a phone; the staff dashboard's overview, list and report tabs, and an
// empty period; the monthly report of a full month, of the running month and of an empty month; the
// operator console with a suggestion's forwarding table. Used for the before/after pictures of a change
// to the pages (test-artifacts/before, test-artifacts/after); the checks live in the *.spec.mjs tests.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch } from './harness.mjs';

const [base, out = 'test-artifacts/tour', accountsJson = '{}'] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);
mkdirSync(out, { recursive: true });
const W = '#kawasaki-chat';
const browser = await launch();
const saved = [];
async function shot(page, name, fullPage = false) {
  const file = path.join(out, name);
  await page.screenshot({ path: file, fullPage });
  saved.push(file);
}
async function ask(page, text) {
  const before = await page.locator(`${W} .log > .msg.b`).count();
  await page.locator(`${W} #kc-q`).fill(text);
  await page.locator(`${W} #kc-q`).press('Enter');
  await page.waitForFunction(([n]) => document.querySelector('#kawasaki-chat').shadowRoot
    .querySelectorAll('.log > .msg.b').length > n, [before], { timeout: 20000 });
  await page.waitForTimeout(600);  // the scroll after the answer
}
async function signIn(page, pathname, [name, password]) {
  await page.goto(base + pathname);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(pathname.replace(/\//g, '\\/') + '$'));
}
const status = (page, text) => page.waitForFunction((t) => document.getElementById('status').textContent.includes(t),
  text, { timeout: 20000 });

try {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    const context = await browser.newContext({ viewport, locale: 'ja-JP' });
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.locator(`${W} .launch`).click();
    await page.locator(`${W} .st[data-s=online]`).waitFor({ timeout: 15000 });
    await ask(page, '住民票の写しはどこで取れますか');
    await ask(page, '土曜日に転入届って出せますか');
    await shot(page, `widget-${label}.png`);
    await context.close();
  }

  if (accounts.staff) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
    const page = await context.newPage();
    await signIn(page, '/staff/', accounts.staff);
    await status(page, '概要を表示しました');
    await shot(page, 'staff-overview.png', true);
    await page.click('#tab-list');
    await status(page, '問い合わせ一覧を表示しました');
    await shot(page, 'staff-list.png');
    await page.click('#tab-report');
    await page.waitForTimeout(800);
    await shot(page, 'staff-report-tab.png');
    await page.click('#tab-overview');
    await page.fill('#f-from', '2025-01-01');
    await page.fill('#f-to', '2025-01-31');
    await page.locator('#filters').evaluate((f) => f.requestSubmit());
    await page.waitForTimeout(1500);
    await shot(page, 'staff-overview-empty.png', true);
    for (const [month, name] of [['2026-10', 'report-2026-10.png'], ['2026-11', 'report-running-month.png'],
      ['2025-01', 'report-empty-month.png']]) {
      await page.goto(base + '/api/v1/reports/monthly?month=' + month);
      await shot(page, name, true);
      const volume = path.join(out, name.replace('.png', '-volume.png'));
      await page.locator('#volume').screenshot({ path: volume });
      saved.push(volume);
    }
    await context.close();
  }

  if (accounts.operator) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
    const page = await context.newPage();
    await signIn(page, '/operator/', accounts.operator);
    await page.locator('#conn[data-state=online]').waitFor({ timeout: 15000 });
    await page.locator('#q').fill('幸区で住民票の写し');
    await page.waitForFunction(() => document.querySelector('#detail table.forward'), null, { timeout: 15000 });
    await page.locator('#detail table.forward').scrollIntoViewIfNeeded();
    await shot(page, 'operator-forwarding.png');
    await context.close();
  }
  process.stdout.write(JSON.stringify({ ok: true, saved }) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, saved, error: String(err && err.stack ? err.stack : err) }) + '\n');
  process.exitCode = 1;
} finally {
  await browser.close();
}
