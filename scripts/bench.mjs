// The page's own figures in the release build in headless Chromium: the playground's frame times
// (`?bench=frames`), then the app's first-render time, as JSON lines. (The engine benchmarks,
// `?bench`, are run interleaved with the native ones by scripts/ratio.mjs.) Used by
// scripts/bench.sh.
import { launch, serveDist } from '../tests/e2e/browser.mjs';

const site = await serveDist();
const browser = await launch();
try {
  // Frame times of the playground itself (?bench=frames): the benchmark scenario with ~2 000
  // messages in the air, 600 frames after a 120-frame warm-up, at ×1/1000.
  const frames = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await frames.goto(site.url + '?bench=frames&speed=1/1000');
  await frames.waitForFunction(() => document.documentElement.hasAttribute('data-bench-frames'), null, { timeout: 120_000 });
  console.log(await frames.evaluate(() => document.documentElement.getAttribute('data-bench-frames')));
  await frames.close();
  // First render: from navigation start to the first rendered frame, best of 5 cold loads, of the
  // start page (the bare URL) and of the playground.
  const firstRender = async (query) => {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const fresh = await browser.newPage();
      await fresh.goto(site.url + query);
      await fresh.waitForFunction(() => document.documentElement.hasAttribute('data-first-render-ms'));
      times.push(Number(await fresh.evaluate(() => document.documentElement.getAttribute('data-first-render-ms'))));
      await fresh.close();
    }
    return times;
  };
  const landing = await firstRender('');
  const times = await firstRender('?preset=relay-basic');
  console.log(JSON.stringify({
    first_render_ms_best: Math.min(...times), first_render_ms_all: times,
    landing_first_render_ms_best: Math.min(...landing),
  }));
} finally {
  await browser.close();
  site.close();
}
