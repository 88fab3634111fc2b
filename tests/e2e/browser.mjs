// Shared by the end-to-end tests and the benchmark: launch Debian's Chromium headless with the
// flags that keep it off the network (Playwright gives each launch a fresh profile directory), and serve dist/ on a free loopback port.
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';
import { mkdirSync } from 'node:fs';
import { serve } from '../../scripts/serve.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Serves dist/ and returns `{ url, close }`. */
export async function serveDist(dir = 'dist') {
  const server = await serve(dir, 0);
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/** Opens the app at `query`; collects console errors and uncaught exceptions (a wasm panic is one).
 *  `viewport` and `acceptDownloads` go to the new page; `ready` is what to wait for. */
export async function openApp(browser, url, query = '', { viewport = { width: 1400, height: 1000 }, acceptDownloads = true, ready = '#trace-hash' } = {}) {
  const page = await browser.newPage({ viewport, acceptDownloads });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url + query);
  await page.waitForSelector(ready);
  return { page, errors };
}

export const text = (page, sel) => page.textContent(sel).then((t) => t.trim());
export const number = async (page, sel) => Number(await text(page, sel));

/** Waits until the simulated time shown passes `secs` seconds. */
export async function untilSimSeconds(page, secs, timeout = 60000) {
  await page.waitForFunction((s) => {
    const t = document.querySelector('#sim-time').textContent;
    return t.endsWith('s') && !t.endsWith('ms') && !t.endsWith('us') && parseFloat(t) > s;
  }, secs, { timeout, polling: 100 });
}

/** Drags the timeline's scrubber to `us` microseconds (as the browser reports a drag: an input
 *  event) and waits until the page shows that instant: the same trace at the same instant whatever
 *  the machine's speed. */
export async function scrubTo(page, us) {
  await page.$eval('#scrub', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, us);
  await page.waitForFunction((t) => new URLSearchParams(location.search).get('t') === String(t), us);
}

/** For a test file: serves dist/ and launches Chromium once (before/after the file's tests);
 *  `suite.open(query)` opens the app. Screenshots go to `SHOTS`. */
export const SHOTS = 'target/e2e';
export function appSuite() {
  mkdirSync(SHOTS, { recursive: true });
  const suite = {};
  before(async () => {
    suite.site = await serveDist();
    suite.browser = await launch();
  });
  after(async () => {
    await suite.browser?.close();
    suite.site?.close();
  });
  suite.open = (query, options) => openApp(suite.browser, suite.site.url, query, options);
  return suite;
}
