// End-to-end tests of the side-by-side page (?compare): every story runs to its end in both lanes
// and the detector's counts in the page tell the story (same expectations as tests/compare.rs).
// Screenshots under target/e2e/ — look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch, serveDist, number, text } from './browser.mjs';

const SHOTS = 'target/e2e';
mkdirSync(SHOTS, { recursive: true });
let browser, site;

before(async () => {
  site = await serveDist(process.env.DIST ?? 'dist');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  site?.close();
});

async function openCompare() {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(site.url + '?compare');
  await page.waitForSelector('#cmp-preset');
  return { page, errors };
}

/** Picks story `index`, runs both lanes to the end; returns the counts of each lane. */
async function runStory(page, index) {
  await page.selectOption('#cmp-preset', String(index));
  await page.click('#cmp-finish');
  await page.waitForSelector('#cmp-done', { timeout: 60000 });
  // (The exactly-once story's Kafka lane counts transactions, not redeliveries.)
  const optional = async (sel) => ((await page.locator(sel).count()) ? number(page, sel) : 0);
  const lane = async (id) => ({
    ooo: await number(page, `#cmp-${id}-ooo`),
    dup: await number(page, `#cmp-${id}-dup`),
    redelivered: await optional(`#cmp-${id}-redelivered`),
    lost: await number(page, `#cmp-${id}-lost`),
    throughput: parseInt(await text(page, `#cmp-${id}-throughput`), 10),
  });
  return { kafka: await lane('kafka'), rabbit: await lane('rabbit') };
}

test('the main page links to the comparison', async () => {
  const page = await browser.newPage();
  await page.goto(site.url);
  await page.click('#to-compare');
  await page.waitForSelector('#cmp-preset');
  assert.match(await text(page, '#cmp-why'), /Competing consumers/);
});

test('every story gives the counts its explanation promises', async () => {
  const { page, errors } = await openCompare();
  const stories = [
    ['1-one-consumer', (k, r) => { assert.equal(k.ooo + r.ooo + k.dup + r.dup + k.lost + r.lost, 0); }],
    ['2-competing', (k, r) => { assert.ok(r.ooo > 0, 'RabbitMQ out of order'); assert.equal(k.ooo, 0); }],
    ['3-crash', (k, r) => {
      assert.ok(r.redelivered > 0 && r.ooo > 0, 'RabbitMQ redelivers out of order');
      assert.ok(k.dup > 0, 'Kafka re-reads'); assert.equal(k.ooo, 0, 'in order');
    }],
    ['4-retries', (k) => { assert.ok(k.ooo > 0 && k.dup > 0, 'reordered and duplicated'); }],
    ['4b-exactly-once', (k, r) => {
      assert.equal(k.dup, 0, 'Kafka: every input once'); assert.ok(r.dup > 0 && r.redelivered > 0, 'RabbitMQ duplicates');
    }],
    ['5a-sac', (k, r) => { assert.equal(r.ooo, 0); assert.ok(r.throughput * 2 < k.throughput); }],
    ['5b-queue-per-customer', (k, r) => { assert.equal(r.ooo, 0); assert.equal(k.ooo, 0); }],
    ['6-throughput', (k, r) => { assert.ok(r.throughput > k.throughput, `${r.throughput} > ${k.throughput}`); }],
  ];
  for (const [i, [name, check]] of stories.entries()) {
    const { kafka, rabbit } = await runStory(page, i);
    check(kafka, rabbit);
    assert.equal(kafka.lost + rabbit.lost, 0, `${name}: nothing lost`);
    await page.screenshot({ path: `${SHOTS}/30-compare-${name}.png`, fullPage: i === 1 });
  }
  assert.deepEqual(errors, []);
});

test('idempotence fixes the retries story; bad input is a message, not a crash', async () => {
  const { page, errors } = await openCompare();
  await page.selectOption('#cmp-preset', '3');
  await page.click('#cmp-workload >> xpath=..'); // open the details
  const json = await page.inputValue('#cmp-workload');
  await page.fill('#cmp-workload', json.replace('"idempotence": false', '"idempotence": true'));
  await page.click('#cmp-apply');
  await page.click('#cmp-finish');
  await page.waitForSelector('#cmp-done', { timeout: 60000 });
  assert.equal(await number(page, '#cmp-kafka-ooo'), 0);
  assert.equal(await number(page, '#cmp-kafka-dup'), 0);
  await page.fill('#cmp-workload', json.replace('"consumers": 1', '"consumers": 0'));
  await page.click('#cmp-apply');
  assert.match(await text(page, '#cmp-error'), /consumers: from 1 to 8/);
  // A wrong type is said in words, not serde's Rust type names.
  await page.fill('#cmp-workload', json.replace(/"kafka": \{/, '"kafka": 5, "was": {'));
  await page.click('#cmp-apply');
  assert.match(await text(page, '#cmp-error'), /got the number 5, expected an object/);
  assert.doesNotMatch(await text(page, '#cmp-error'), /struct|KafkaLane/);
  // "no violation" is not drawn as one.
  assert.equal(await page.locator('.violation-text.none').count() > 0, true);
  await page.fill('#cmp-seed', '');
  await page.click('#cmp-apply');
  assert.match(await text(page, '#cmp-error'), /seed/, 'an empty seed is said, not a silent no-op');
  await page.fill('#cmp-seed', 'x');
  await page.click('#cmp-apply');
  assert.match(await text(page, '#cmp-error'), /seed/);
  await page.screenshot({ path: `${SHOTS}/31-compare-error.png` });
  assert.deepEqual(errors, []);
});

test('a copied compare link brings back its story, seed and edited workload: the same counts and hashes', async () => {
  const { page, errors } = await openCompare();
  await page.selectOption('#cmp-preset', '2'); // a consumer crashes
  await page.fill('#cmp-seed', '4');
  await page.click('#cmp-workload >> xpath=..');
  const json = JSON.parse(await page.inputValue('#cmp-workload'));
  json.messages = 12;
  await page.fill('#cmp-workload', JSON.stringify(json, null, 2));
  await page.click('#cmp-apply');
  await page.click('#cmp-finish');
  await page.waitForSelector('#cmp-done', { timeout: 60000 });
  const ids = ['processed', 'ooo', 'dup', 'redelivered', 'lost', 'throughput', 'hash'];
  const shown = (p) => Promise.all(['kafka', 'rabbit'].flatMap((l) => ids.map((k) => text(p, `#cmp-${l}-${k}`))));
  const before = await shown(page);
  const query = await page.evaluate(() => location.search);
  assert.match(query, /^\?compare&story=consumer-crash&seed=4&workload=[A-Za-z0-9_-]+$/);

  const again = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  again.on('pageerror', (e) => errors.push(String(e)));
  await again.goto(site.url + query);
  await again.waitForSelector('#cmp-preset');
  assert.equal(await again.inputValue('#cmp-preset'), '2');
  assert.equal(await again.inputValue('#cmp-seed'), '4');
  assert.equal(JSON.parse(await again.inputValue('#cmp-workload')).messages, 12);
  await again.click('#cmp-finish');
  await again.waitForSelector('#cmp-done', { timeout: 60000 });
  assert.deepEqual(await shown(again), before, 'the same counts and lane trace hashes');
  await again.screenshot({ path: `${SHOTS}/32-compare-from-link.png` });

  // A malformed seed and workload: said in words; the story stays, each value falls back alone.
  const bad = await browser.newPage({ viewport: { width: 390, height: 844 } });
  bad.on('pageerror', (e) => errors.push(String(e)));
  await bad.goto(site.url + '?compare&story=consumer-crash&seed=x1&workload=e30');
  await bad.waitForSelector('.cmp-notice');
  const notices = await bad.locator('.cmp-notice').allTextContents();
  assert.match(notices[0], /seed "x1" is not a whole number ≥ 0; using seed 1/);
  assert.match(notices[1], /the link's workload could not be read \(.*\); using the story's own/);
  assert.equal(await bad.inputValue('#cmp-preset'), '2');
  assert.equal(await bad.inputValue('#cmp-seed'), '1');
  await bad.screenshot({ path: `${SHOTS}/33-compare-bad-link-phone.png` });
  assert.deepEqual(errors, []);
});
