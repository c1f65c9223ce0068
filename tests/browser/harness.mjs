// What the browser specs share: the JSON lines they print for their pytest driver (tests/browser_runner.py),
// their checks, Debian's Chromium, axe-core, and the screenshots taken when a spec fails.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// Every check, in order; the spec's result carries them.
export const checks = [];

// Record a check and print it as a step; a failed check throws, so the spec stops at the first failure.
export function check(name, ok, detail) {
  checks.push({ name, ok: !!ok, detail });
  emit({ event: 'step', name, ok: !!ok, detail });
  if (!ok) throw new Error(`check failed: ${name}${detail === undefined ? '' : ' — ' + JSON.stringify(detail)}`);
}

// Debian's Chromium (CHROMIUM or /usr/bin/chromium) through playwright-core: no browser download. Playwright
// gives every launch a fresh temporary profile and removes it at close.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// axe-core's WCAG 2.2 AA and best-practice rules on the page; a serious or critical violation fails the check.
// axe is evaluated through the DevTools protocol, not added as a <script>: a page's CSP (script-src 'self')
// can stay on.
export async function runAxe(page, label) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return {
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })),
      passes: r.passes.length,
      incomplete: r.incomplete.map((v) => ({ id: v.id, nodes: v.nodes.length,
        why: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + (n.any[0] ? n.any[0].message : '')) })),
    };
  }, AXE_TAGS);
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(`axe ${label}: no serious or critical violations`, serious.length === 0, serious);
  return result;
}

// After an error: keep it in the result, and a screenshot of every page still open (ARTIFACTS/PREFIXfailure-N.png),
// each followed in the error by what ``describe(page)`` says of it (a status line, the chat log …).
export async function failed(browser, result, err, { artifacts, prefix = '', describe } = {}) {
  result.error = String(err && err.stack ? err.stack : err);
  result.screenshots = result.screenshots || [];
  for (const context of browser.contexts()) {
    for (const p of context.pages()) {
      try {
        const file = path.join(artifacts, `${prefix}failure-${result.screenshots.length}.png`);
        await p.screenshot({ path: file, fullPage: true });
        result.screenshots.push(file);
        if (describe) result.error += '\n--- ' + (await describe(p));
      } catch { /* the page may be gone */ }
    }
  }
}
