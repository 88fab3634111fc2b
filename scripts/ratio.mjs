// The engine benchmarks natively and in the release build, interleaved, timed by CPU time. ROUNDS
// times (default 5): one native run of each preset (`brokerlab bench --scenario S --runs 1`, the
// binary in argv[2], default target/native/brokerlab), then the page's `?bench` (one run of each)
// in headless Chromium.
//
// Wall time on this shared 2-core machine moves by 2-3x with the other work on it, so each run
// is also timed by the CPU time of the thread that ran it: natively the run's own count
// (`cpu_ms`, from Linux's schedstat), in the page the main thread's CPU clock (`tts`) at the
// `performance.mark`s that bracket each measured run, read from a DevTools trace. Load changes
// CPU time far less than wall time, and only ever adds to either, so the best round of each side
// (the highest rate) is the figure. DISTS (default `dist`) may list several builds,
// comma-separated, to compare them in the same rounds; each page line then says its `dist`.
//
// Prints one JSON line per preset and side (its best round by CPU time: `cpu_ms`,
// `steps_per_cpu_sec`; `steps_per_sec` is that round's wall rate), then the page's other `?bench`
// lines (the timeline) from the first round; on stderr, every round's rates and the ratios. Used
// by scripts/bench.sh.
import { spawnSync } from 'node:child_process';
import { launch, serveDist } from '../tests/e2e/browser.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DISTS = (process.env.DISTS ?? 'dist').split(',');
const PRESETS = ['bench', 'kafka-bench', 'rabbit-bench', 'kafka-large', 'kafka-large-kraft'];
const binary = process.argv[2] ?? 'target/native/brokerlab';

const sides = ['native', ...DISTS];
const runs = new Map(sides.flatMap((side) => PRESETS.map((s) => [`${side} ${s}`, []])));
const best = new Map(); // `${side} ${scenario}` -> the line with the highest steps_per_cpu_sec
const keep = (side, line) => {
  line.steps_per_cpu_sec = Math.round(line.steps / (line.cpu_ms / 1e3));
  const key = `${side} ${line.scenario}`;
  runs.get(key).push(line);
  if (!best.has(key) || line.steps_per_cpu_sec > best.get(key).steps_per_cpu_sec) best.set(key, line);
};
let others = null;

/** Opens `?bench` under a DevTools trace; returns the page's lines with each run's `cpu_ms`. */
async function benchPage(browser, url) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', { categories: 'blink.user_timing', transferMode: 'ReportEvents' });
  await page.goto(url + '?bench');
  await page.waitForSelector('#bench-result', { timeout: 600_000 });
  const lines = (await page.textContent('#bench-result')).trim().split('\n').map((l) => JSON.parse(l));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  await complete;
  await page.close();
  const tts = (name) => {
    const mark = events.find((e) => e.name === name);
    if (mark?.tts === undefined) throw new Error(`the trace has no thread time at mark ${name}`);
    return mark.tts;
  };
  for (const line of lines.filter((l) => 'scenario' in l)) {
    line.cpu_ms = (tts(`bench-end:${line.scenario}`) - tts(`bench-start:${line.scenario}`)) / 1e3;
  }
  return lines;
}

const sites = await Promise.all(DISTS.map((dir) => serveDist(dir)));
const browser = await launch();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of PRESETS) {
      const run = spawnSync(binary, ['bench', '--scenario', scenario, '--runs', '1'], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${binary} bench --scenario ${scenario}: ${run.stderr}`);
      const line = JSON.parse(run.stdout);
      if (line.cpu_ms === undefined) throw new Error('the native bench could not read its CPU time (Linux only)');
      keep('native', line);
    }
    for (const [i, site] of sites.entries()) {
      const lines = await benchPage(browser, site.url);
      for (const line of lines.filter((l) => 'scenario' in l)) {
        keep(DISTS[i], DISTS.length > 1 ? { ...line, dist: DISTS[i] } : line);
      }
      others ??= lines.filter((l) => !('scenario' in l));
    }
  }
} finally {
  await browser.close();
  sites.forEach((site) => site.close());
}
for (const line of best.values()) console.log(JSON.stringify(line));
for (const line of others) console.log(JSON.stringify(line));

const m = (x) => (x / 1e6).toFixed(2);
for (const s of PRESETS) {
  const n = best.get(`native ${s}`).steps_per_cpu_sec;
  console.error(`${s}: M steps per CPU second, best (every round; wall rate of the best round)`);
  for (const side of sides) {
    const b = best.get(`${side} ${s}`);
    const ratio = side === 'native' ? '' : `  ${(b.steps_per_cpu_sec / n).toFixed(2)}x native`;
    const all = runs.get(`${side} ${s}`).map((l) => m(l.steps_per_cpu_sec)).join(' ');
    console.error(`  ${side.padEnd(24)} ${m(b.steps_per_cpu_sec)} (${all}; wall ${m(b.steps_per_sec)})${ratio}`);
  }
}
