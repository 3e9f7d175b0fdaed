/* global document -- the waitForFunction callback runs in the page */
// Screenshots of every built-in dashboard for docs/screenshots/, from a running query-api with live data:
//   node web/scripts/screenshots.mjs [http://127.0.0.1:8080]   (SCREENSHOTS_DIR=/tmp/x/ to look first)
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const out = process.env.SCREENSHOTS_DIR
  ? new URL(`file://${process.env.SCREENSHOTS_DIR.replace(/\/?$/, '/')}`)
  : new URL('../../docs/screenshots/', import.meta.url);
mkdirSync(out, { recursive: true });
const shots = [
  ['pltcm-measurement', '/d/pltcm?tab=Measurement+data&from=now-30m&to=now'],
  ['pltcm-process', '/d/pltcm?tab=Process+data&from=now-30m&to=now'],
  ['pltcm-segment', '/d/pltcm?tab=Segment+data&from=now-3h&to=now'],
  ['pltcm-setup', '/d/pltcm?tab=Setup+data&from=now-30m&to=now'],
  ['pltcm-coil-tracking', '/d/pltcm?tab=Coil+ID+tracking&from=now-1h&to=now'],
  ['production', '/d/production'],
  ['pipeline-health', '/d/pipeline-health'],
  ['battery-line', '/d/battery-line?from=now-30m&to=now'],
  ['mes', '/d/mes?from=now-1h&to=now'],
  ['dashboard-list', '/'],
];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
const theme = process.env.THEME ?? 'dark';
await page.addInitScript((t) => localStorage.setItem('millrace.theme', t), theme);
for (const [name, path] of shots) {
  await page.goto(`${base}${path}`);
  // Every panel settled: no spinner and no "Loading…" left.
  await page
    .waitForFunction(
      () =>
        !document.querySelector('[data-testid=loading]') &&
        !/Loading/.test(document.querySelector('main')?.textContent ?? ''),
      null,
      { timeout: 30_000 },
    )
    .catch(() => console.warn(`${name}: still loading`));
  await page.waitForTimeout(500);
  await page.screenshot({ path: new URL(`${name}.png`, out).pathname, fullPage: true });
  console.log(`${name}.png`);
}
await browser.close();
