#!/usr/bin/env bash
# The performance report: engine events/s natively and in the browser build (and their ratio, by
# CPU time over interleaved rounds: scripts/ratio.mjs), the release .wasm size raw and gzipped,
# and the first render time. Not a test: it measures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser >/dev/null
source scripts/env.sh

cargo build -q --locked --profile native

echo "== timeline (cargo run --profile native --example timeline_bench: kafka-groups, 10 min simulated)"
timeline=$(cargo run -q --profile native --example timeline_bench)
echo "$timeline"

echo "== the large cluster's stage (cargo run --profile native --example lod_bench: 50 brokers, 1 000 partitions, view-model cost)"
cargo run -q --profile native --example lod_bench

echo "== a timeline snapshot of the large cluster (cargo run --profile native --example snapshot_bench: kafka-large at 20 s and 60 s, what one clone allocates and its CPU time)"
cargo run -q --profile native --example snapshot_bench

echo "== release build (trunk build --release)"
trunk build --release >/dev/null 2>&1 || trunk build --release
wasm=$(ls dist/*.wasm)
raw=$(stat -c %s "$wasm"); gz=$(gzip -9c "$wasm" | wc -c)
js=$(ls dist/*.js); jsgz=$(gzip -9c "$js" | wc -c)

echo "== engine benchmarks, native and in headless Chromium (?bench, per-frame chunks), interleaved ${ROUNDS:-5} rounds, by CPU time"
engine=$(node scripts/ratio.mjs target/native/brokerlab)
echo "$engine"

echo "== the page (headless Chromium: ?bench=frames, first render)"
browser=$(node scripts/bench.mjs)
echo "$browser"

echo "== the page on kafka-large (headless Chromium: frame times and simulated s per wall s at ×1 and ×1000, ${LARGE_SECONDS:-15} s each)"
large=$(node scripts/large.mjs)
echo "$large"

echo "== page soak (headless Chromium, each preset at ×1000 for ${SOAK_SECONDS:-60} s of wall time)"
soak=$(node scripts/soak.mjs $(cargo run -q --profile native -- presets | awk '{print $1}'))
echo "$soak"

node - "$engine" "$browser" "$raw" "$gz" "$jsgz" "$soak" "$timeline" "$large" <<'JS'
const [engineOut, browserOut, raw, gz, jsgz, soakOut, timelineOut, largeOut] = process.argv.slice(2);
const engine = engineOut.trim().split('\n').map((l) => JSON.parse(l));
const natives = engine.filter((l) => l.platform === 'native');
const lines = [...engine, ...browserOut.trim().split('\n').map((l) => JSON.parse(l))];
const fr = lines.pop();
const frames = lines.find((l) => 'frame_ms_p50' in l);
const kb = (x) => (x / 1024).toFixed(1) + ' KiB';
const m = (x) => (x / 1e6).toFixed(2);
console.log('\n== report (engine rates per CPU second, best of the rounds; wall rate of that round in brackets)');
for (const n of natives) {
  const b = lines.find((l) => l.platform === 'wasm' && l.scenario === n.scenario);
  const perEvent = (l) => l.events / l.steps;
  console.log(`${n.scenario}:`);
  console.log(`  native       : ${m(n.steps_per_cpu_sec)} M steps/s = ${m(n.steps_per_cpu_sec * perEvent(n))} M events/s (wall ${m(n.steps_per_sec)})`);
  console.log(`  wasm         : ${m(b.steps_per_cpu_sec)} M steps/s = ${m(b.steps_per_cpu_sec * perEvent(b))} M events/s (wall ${m(b.steps_per_sec)})`);
  console.log(`  wasm/native  : ${(b.steps_per_cpu_sec / n.steps_per_cpu_sec).toFixed(2)}x`);
  console.log(`  same trace   : ${n.trace_hash === b.trace_hash ? 'yes' : 'NO'} (${n.trace_hash})`);
  // Simulated seconds per CPU second, and what each produced record costs in messages.
  const speed = (l) => (l.simulated_us / 1e6 / (l.cpu_ms / 1e3)).toFixed(1);
  console.log(`  real time    : native ${speed(n)}x, wasm ${speed(b)}x (simulated s per CPU s)`);
  if (n.records > 0) console.log(`  messages     : ${(n.messages / n.records).toFixed(2)} per produced record (${n.messages} / ${n.records})`);
}
console.log(`release .wasm  : ${kb(+raw)} raw, ${kb(+gz)} gzip (JS glue ${kb(+jsgz)} gzip)`);
console.log(`first render   : playground ${fr.first_render_ms_best} ms, start page ${fr.landing_first_render_ms_best} ms (best of 5 loads from a local server)`);
console.log('page soak      : preset, simulated time reached, work per frame, JS heap, wasm memory (early -> end)');
for (const l of soakOut.trim().split('\n').map((l) => JSON.parse(l))) {
  const f = (s) => `${s.sim_time}, ${s.frame_work_ms} ms/frame, heap ${s.js_heap_mb} MB, wasm ${s.wasm_mb} MB`;
  console.log(`  ${l.preset.padEnd(18)} ${f(l.early)} -> ${f(l.end)}${l.errors.length ? ' ERRORS: ' + l.errors.join('; ') : ''}`);
}
// The timeline after 10 minutes of kafka-groups: memory kept (the snapshots' heap bytes, counted
// natively by the example's allocator; the wasm memory's growth in the page) and seek times.
const tn = JSON.parse(timelineOut);
const tw = lines.find((l) => 'timeline' in l);
const mib = (x) => (x / 1048576).toFixed(2) + ' MiB';
console.log(`timeline       : ${tn.timeline}, ${tn.simulated_us / 60e6} min simulated (${tn.steps} steps): ${tn.snapshots} snapshots, every ${tn.snapshot_every_steps} steps, hold ${mib(tn.snapshot_bytes)} (heap bytes, native; largest ${mib(tn.largest_snapshot_bytes)})`);
console.log(`                 seek to the end ${tn.seek_end_ms} ms native, ${tw.seek_end_ms} ms wasm; back to the start ${tn.seek_start_ms} / ${tw.seek_start_ms} ms; the page's wasm memory grew ${mib(tw.wasm_memory_after - tw.wasm_memory_before)} playing it (to ${mib(tw.wasm_memory_after)}); same trace ${tn.trace_hash === tw.trace_hash ? 'yes' : 'NO'}`);
console.log(`                 a message's journey at the end (the last record read, ${tn.journey_steps} steps): ${tn.journey_ms} ms native, at most ${mib(tn.journey_peak_bytes)} more heap while it scans`);
// The large cluster played in the page: what the eye sees (frame intervals) and how fast it plays.
for (const l of largeOut.trim().split('\n').map((l) => JSON.parse(l))) {
  console.log(`kafka-large ${l.speed.padEnd(6)}: frames p50 ${l.frame_ms_p50} ms, p95 ${l.frame_ms_p95} ms, longest ${l.frame_ms_max} ms (${l.fps} fps, ${l.frames_over_33ms} over 33 ms, ${l.long_tasks} long tasks); ${l.sim_s_per_wall_s} simulated s per wall s (${l.sim_from} -> ${l.sim_to})${l.errors.length ? ' ERRORS: ' + l.errors.join('; ') : ''}`);
}
console.log(`frame time     : p50 ${frames.frame_ms_p50} ms, p95 ${frames.frame_ms_p95} ms with ${frames.in_flight_avg} messages in flight (work per frame p50 ${frames.work_ms_p50} ms, p95 ${frames.work_ms_p95} ms)`);
JS
