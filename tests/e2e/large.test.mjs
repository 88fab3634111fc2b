// End-to-end test of a large Kafka cluster's stage (view::kafka_lod, src/ui/stage_lod.rs): 50
// brokers and 1 000 partitions (tests/data/kafka-large.json, opened through the link's scenario=)
// are drawn as tiles, a strip of partitions and rates; killing a broker turns its partitions
// under-replicated in the strip; a tile zooms to its replicas. Screenshots under target/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();
const json = JSON.stringify(JSON.parse(readFileSync('tests/data/kafka-large.json', 'utf8')));
const LARGE = `?preset=kafka-basic&scenario=${Buffer.from(json).toString('base64url')}`;
const count = async (page, state) => Number(await text(page, `#count-${state}`));

test('50 brokers × 1 000 partitions: tiles, the strip, a broker killed, a tile zoomed', async () => {
  const { page, errors } = await suite.open(`${LARGE}&speed=1`, { viewport: { width: 1440, height: 900 }, ready: '#lod-stage' });
  assert.equal(await page.locator('#lod-grid .tile').count(), 50);
  assert.equal(await page.getAttribute('#lod-stage', 'data-partitions'), '1000');
  assert.equal(await page.locator('.stage-svg').count(), 0, 'no box per broker, no dot per message');
  // The controller elects every leader within the first second: all 1 000 led and in sync.
  await page.waitForFunction(() => document.querySelector('#count-in-sync')?.textContent === '1000', null, { timeout: 60000 });
  await untilSimSeconds(page, 3);
  assert.match(await text(page, '#rate-produce b'), /^\d+$/, 'records/s from the producers');
  const produced = Number(await text(page, '#rate-produce b'));
  assert.ok(produced > 1000 && produced < 4000, `~2 200 records/s, saw ${produced}`);
  await page.screenshot({ path: `${SHOTS}/60-large-grid.png` });

  // Click b3: the grid zooms to its replicas, the inspector lists them; stop it from there.
  await page.click('.tile[data-broker="b3"]');
  await page.waitForSelector('#lod-zoom[data-zoom="b3"]');
  const chips = await page.locator('#lod-zoom .zchip').count();
  assert.ok(chips >= 50 && chips <= 70, `b3 holds ~60 replicas, saw ${chips}`);
  assert.ok(await page.locator('#lod-zoom .zchip.r-leader').count() > 0);
  assert.ok(await page.locator('#broker-partitions tr').count() > 50, 'the inspector lists its partitions');
  await page.click('#node-stop-start');
  await page.waitForFunction(() => document.querySelector('#node-state')?.textContent === 'stopped');
  // The partitions it led are offline until its ZooKeeper session expires (3 s); then the
  // controller elects new leaders from the ISRs and takes b3 out of them: every partition is led
  // again (RF 3), the ones with a replica on b3 under-replicated.
  await page.waitForFunction(() => Number(document.querySelector('#count-under-replicated')?.textContent) >= 50
    && document.querySelector('#count-offline')?.textContent === '0', null, { timeout: 120000 });
  assert.ok(await page.locator('#lod-zoom .zchip.r-offline').count() === chips, 'its replicas are offline');
  await page.locator('#lod-stage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/61-large-zoom-stopped.png` });

  // Back to all brokers: b3's tile is down with all its replicas offline; leaders moved (dotted).
  await page.click('#lod-back');
  await page.waitForSelector('#lod-grid');
  assert.equal(await page.getAttribute('.tile[data-broker="b3"]', 'data-offline'), String(chips));
  assert.match(await page.getAttribute('.tile[data-broker="b3"]', 'class'), /down/);
  const under = (await page.$$eval('#lod-grid .tile', (ts) => ts.map((t) => Number(t.dataset.under)))).reduce((a, b) => a + b, 0);
  assert.equal(under, await count(page, 'under-replicated'), 'each under-replicated partition counted at its leader');

  // A partition in the strip: its leader, ISR and replicas (b3 among the replicas, not the ISR).
  await page.locator('#lod-strip').scrollIntoViewIfNeeded();
  const box = await page.locator('#lod-strip').boundingBox();
  await page.mouse.click(box.x + 3, box.y + box.height * 0.2);
  await page.waitForSelector('#lod-part b');
  assert.match(await text(page, '#lod-part'), /^clicks-\d+: leader b\d+ \(epoch \d+\) · ISR \[[b\d, ]+\] · replicas \[b\d+, b\d+, b\d+\]/);
  await page.screenshot({ path: `${SHOTS}/62-large-strip.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('the large cluster on a phone', async () => {
  const { page, errors } = await suite.open(`${LARGE}&speed=1`, { viewport: { width: 390, height: 844 }, ready: '#lod-stage' });
  await page.waitForFunction(() => document.querySelector('#count-in-sync')?.textContent === '1000', null, { timeout: 60000 });
  await untilSimSeconds(page, 2);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page does not scroll sideways (${width} px)`);
  await page.locator('#lod-stage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/63-large-phone.png` });
  await page.locator('#lod-strip').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/64-large-phone-strip.png` });
  assert.deepEqual(errors, []);
});

test('KRaft at scale (kafka-large-kraft): the controllers beside the grid, b7 fenced after its session', async () => {
  const { page, errors } = await suite.open('?preset=kafka-large-kraft&speed=10', { viewport: { width: 1440, height: 900 }, ready: '#lod-stage' });
  assert.equal(await page.locator('#lod-grid .tile').count(), 50);
  assert.equal(await page.locator('.lod-meta [data-node^="ctl"]').count(), 3, 'three controllers, no ZooKeeper');
  assert.equal(await page.locator('.lod-meta [data-node="zk"]').count(), 0);
  // The controller creates the topics once all 50 brokers are unfenced: every partition led.
  await page.waitForFunction(() => document.querySelector('#count-in-sync')?.textContent === '1000', null, { timeout: 60000 });
  assert.equal(await page.locator('.lod-meta [data-node^="ctl"] small', { hasText: /^active$/ }).count(), 1, 'one active controller');
  const leaders = await page.$$eval('#lod-grid .tile', (ts) => ts.filter((t) => Number(t.dataset.leaders) > 0).length);
  assert.equal(leaders, 50, 'leaders spread over all 50 brokers');
  await page.screenshot({ path: `${SHOTS}/65-large-kraft-grid.png` });
  // b7 dies at 10 s; the active controller fences it 9 s after its last heartbeat.
  await page.waitForSelector('.tile[data-broker="b7"].down', { timeout: 120000 });
  await untilSimSeconds(page, 19.5, 180000);
  await page.waitForFunction(() => document.querySelector('#count-offline')?.textContent === '0', null, { timeout: 60000 });
  assert.ok(await count(page, 'under-replicated') >= 50, 'its replicas left the ISRs');
  await page.screenshot({ path: `${SHOTS}/66-large-kraft-fenced.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page does not scroll sideways (${width} px)`);
  await page.locator('#lod-stage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/67-large-kraft-phone.png` });
  assert.deepEqual(errors, []);
});
