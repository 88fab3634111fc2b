// The page on the large cluster (part of `make bench`): the preset kafka-large (50 brokers, 1 000
// partitions RF 3, 2 000 records/s, b7 killed at 10 s) played in the release build in headless
// Chromium at ×1 and at the fastest speed (×1000, where the per-frame work budget sets the pace).
// For each: the interval between animation frames (what the eye sees: p50, p95, the longest) over
// LARGE_SECONDS of wall time (default 15) after the cluster is up, the long tasks the browser saw
// (> 50 ms), and simulated seconds per wall second over the same window. One JSON line per speed.
// Usage: node scripts/large.mjs [speed …] (default: 1 1000).
import { launch, serveDist } from '../tests/e2e/browser.mjs';

const speeds = process.argv.length > 2 ? process.argv.slice(2) : ['1', '1000'];
const seconds = Number(process.env.LARGE_SECONDS ?? 15);
const PRESET = 'kafka-large';

/** `#sim-time` as the page shows a `Time` (`12s`, `1.250000s`, `345.5ms`, `17us`), in seconds. */
const simSeconds = (text) => {
  const m = /^([\d.]+)(s|ms|us)$/.exec(text.trim());
  if (!m) throw new Error(`simulated time "${text}" not understood`);
  return Number(m[1]) / { s: 1, ms: 1e3, us: 1e6 }[m[2]];
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];

const site = await serveDist();
const browser = await launch();
try {
  for (const speed of speeds) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${site.url}?preset=${PRESET}&speed=${speed}`);
    await page.waitForSelector('#lod-stage');
    // The cluster up (every leader elected) and a second of traffic, at ×1; at ×1000 as soon as it shows.
    await page.waitForFunction(() => document.querySelector('#count-in-sync')?.textContent === '1000', null, { timeout: 120_000 });
    await page.waitForTimeout(1000);
    const start = await page.evaluate(() => {
      window.__frames = [];
      window.__long = [];
      window.__recording = true;
      let last = null;
      const loop = (ts) => {
        if (last !== null) window.__frames.push(ts - last);
        last = ts;
        if (window.__recording) requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({ type: 'longtask' });
      return { wall: performance.now(), sim: document.querySelector('#sim-time').textContent };
    });
    await page.waitForTimeout(seconds * 1000);
    const end = await page.evaluate(() => {
      window.__recording = false;
      return { wall: performance.now(), sim: document.querySelector('#sim-time').textContent, frames: window.__frames, long: window.__long };
    });
    const frames = [...end.frames].sort((a, b) => a - b);
    const wallS = (end.wall - start.wall) / 1e3;
    const simS = simSeconds(end.sim) - simSeconds(start.sim);
    const r = (x) => +x.toFixed(1);
    console.log(JSON.stringify({
      large: PRESET, speed: `×${speed}`, wall_s: r(wallS), sim_from: start.sim, sim_to: end.sim,
      sim_s_per_wall_s: +(simS / wallS).toFixed(2), frames: frames.length, fps: r(frames.length / wallS),
      frame_ms_p50: r(pct(frames, 0.5)), frame_ms_p95: r(pct(frames, 0.95)), frame_ms_max: r(frames[frames.length - 1] ?? 0),
      frames_over_33ms: frames.filter((f) => f > 33.4).length,
      long_tasks: end.long.length, long_task_ms_max: r(Math.max(0, ...end.long)), errors,
    }));
    await page.close();
  }
} finally {
  await browser.close();
  site.close();
}
