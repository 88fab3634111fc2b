// Shared by the end-to-end tests and the benchmark: launch Debian's Chromium headless with the
// flags that keep it off the network (Playwright gives each launch a fresh profile directory), and serve dist/ on a free loopback port.
import { chromium } from 'playwright-core';
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
