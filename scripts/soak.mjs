// The page soak (part of `make bench`): each preset played in the release build in headless Chromium
// at ×1000 for SOAK_SECONDS of wall time (default 60), sampled early (after 10 s) and at the end:
// simulated time reached, the page's smoothed work per frame, the JS heap (after a forced GC) and the
// wasm linear memory (the engine's and the view models' high-water mark; it never shrinks). One JSON
// line per preset. Everything the page keeps — event log, charts, flights, walkthrough state, the
// engine — must stay bounded, so the end's figures should be close to the early ones.
import { launch, serveDist } from '../tests/e2e/browser.mjs';

const presets = process.argv.slice(2);
const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const FASTEST = '1000'; // ×1000, the top of the speed ladder (crates/view/src/speed.rs)
const EARLY_S = 10;

const site = await serveDist();
const browser = await launch();
try {
  for (const preset of presets) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript(() =>
      addEventListener('TrunkApplicationStarted', (e) => (window.__wasm = e.detail.wasm)),
    );
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await cdp.send('HeapProfiler.enable');
    await page.goto(`${site.url}?preset=${preset}&speed=${FASTEST}`);
    await page.waitForSelector('#trace-hash');
    const sample = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
      const page_ = await page.evaluate(() => {
        const cell = [...document.querySelectorAll('td[title^="Time spent per frame"]')][0];
        return {
          sim_time: document.querySelector('#sim-time')?.textContent.trim(),
          frame_work_ms: cell ? parseFloat(cell.nextElementSibling.textContent) : null,
          wasm_bytes: window.__wasm?.memory?.buffer.byteLength ?? null,
        };
      });
      return { ...page_, js_heap_mb: +(heap / 1048576).toFixed(1), wasm_mb: page_.wasm_bytes && +(page_.wasm_bytes / 1048576).toFixed(1) };
    };
    await page.waitForTimeout(EARLY_S * 1000);
    const early = await sample();
    await page.waitForTimeout(Math.max(0, seconds - EARLY_S) * 1000);
    const end = await sample();
    for (const s of [early, end]) delete s.wasm_bytes;
    console.log(JSON.stringify({ preset, seconds, early, end, errors }));
    await page.close();
  }
} finally {
  await browser.close();
  site.close();
}
