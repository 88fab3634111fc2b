// End-to-end test of KRaft's combined mode on the large stage (src/ui/stage_lod.rs,
// view::kraft::voters): kafka-large-kraft-combined runs the three voters inside brokers b1…b3.
// The quorum's pills list them with their part and metadata log; their tiles in the grid carry ◆,
// the active controller's ringed green. b2, the active controller with seed 1, dies at 10 s: its
// tile and pill show the voter down, another voter becomes active, and once b2 is fenced every
// partition is led again. And a mixed quorum on the small stage (kafka-kraft-mixed): two
// controller nodes and broker b1 running the third voter, killed at 5 s. Screenshots under
// target/e2e/ at 1440×900 and 390×844.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();
const voters = (page) => page.$$eval('#lod-grid .tile[data-voter]', (ts) => ts.map((t) => [t.dataset.broker, t.dataset.voter]));
const pills = (page) => page.$$eval('.lod-meta .pill.kraft-controller', (ps) => ps.map((p) => [p.dataset.node, p.dataset.part]));

test('KRaft combined mode at scale: the voters marked in the grid, the active one dies', async () => {
  const { page, errors } = await suite.open('?preset=kafka-large-kraft-combined&speed=10', { viewport: { width: 1440, height: 900 }, ready: '#lod-stage' });
  assert.equal(await page.locator('#lod-grid .tile').count(), 50);
  assert.equal(await page.locator('.lod-meta [data-node^="ctl"]').count(), 0, 'no controller nodes of their own');
  await page.waitForFunction(() => document.querySelector('#count-in-sync')?.textContent === '1000', null, { timeout: 60000 });
  // The three voters are brokers b1…b3, in the grid and in the quorum's pills alike; one is active.
  const marked = await voters(page);
  assert.deepEqual(marked.map(([b]) => b), ['b1', 'b2', 'b3']);
  assert.equal(marked.filter(([, part]) => part === 'active').length, 1, JSON.stringify(marked));
  assert.deepEqual(await pills(page), marked);
  assert.equal(await page.locator('#lod-grid .tile.voter-active').count(), 1);
  const logs = await page.$$eval('.lod-meta .pill .qlog', (ls) => ls.map((l) => l.textContent));
  assert.equal(logs.length, 3);
  for (const l of logs) assert.match(l, /^log \d+ · HW \d+$/);
  assert.match(await page.textContent('.lod-key'), /◆ also a KRaft controller \(combined mode\)/);
  await page.screenshot({ path: `${SHOTS}/70-large-combined-grid.png` });

  // b2 dies at 10 s with its controller: its tile and pill say so, and another voter takes over.
  await page.waitForSelector('.tile[data-broker="b2"][data-voter="down"].down', { timeout: 120000 });
  assert.equal(await page.getAttribute('.lod-meta .pill[data-node="b2"]', 'data-part'), 'down');
  await page.waitForSelector('#lod-grid .tile.voter-active:not([data-broker="b2"])', { timeout: 120000 });
  // Fenced 9 s after the new controller's fresh sessions: its partitions are led again.
  await untilSimSeconds(page, 23, 240000);
  await page.waitForFunction(() => document.querySelector('#count-offline')?.textContent === '0', null, { timeout: 60000 });
  const after = await voters(page);
  assert.equal(after.filter(([, part]) => part === 'active').length, 1, JSON.stringify(after));
  assert.deepEqual(await pills(page), after);
  await page.screenshot({ path: `${SHOTS}/71-large-combined-failover.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page does not scroll sideways (${width} px)`);
  await page.locator('#lod-stage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/72-large-combined-phone.png` });
  assert.deepEqual(errors, []);
});

test('a mixed quorum: controller nodes ctl1 and ctl2, and b1 both broker and voter, killed', async () => {
  const { page, errors } = await suite.open('?preset=kafka-kraft-mixed&seed=1&speed=1', { viewport: { width: 1440, height: 900 } });
  await untilSimSeconds(page, 4);
  assert.deepEqual(await page.$$eval('.stage-svg .node.kraft-controller', (ns) => ns.map((n) => n.dataset.node)), ['ctl1', 'ctl2']);
  // b1 is drawn as a broker whose label names its part in the quorum, with its metadata log.
  assert.match(await text(page, '[data-node="b1"] .role'), /^broker · (voter|active)$/);
  assert.match(await text(page, '[data-node="b1"] .owns'), /log \d+ · HW \d+/);
  assert.equal(await text(page, '[data-node="b2"] .role'), 'broker', 'b2 and b3 are brokers only');
  assert.equal(await page.locator('.stage-svg .node.zk-leader').count(), 1, 'one active controller');
  await page.screenshot({ path: `${SHOTS}/73-kraft-mixed.png` });
  // b1 dies at 5 s, both roles: the two controller nodes keep the quorum and fence it.
  await untilSimSeconds(page, 7);
  assert.equal(await text(page, '[data-node="b1"] .role'), 'stopped');
  assert.match(await page.getAttribute('[data-node^="ctl"].zk-leader', 'data-node'), /^ctl[12]$/);
  await page.click('[data-node^="ctl"].zk-leader');
  assert.match(await page.textContent('#metadata-log'), /FenceBroker b1/);
  assert.match(await page.textContent('#metadata-log'), /LeaderChange ctl\d/);
  await page.screenshot({ path: `${SHOTS}/74-kraft-mixed-b1-down.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('.stage-svg').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/75-kraft-mixed-phone.png` });
  assert.deepEqual(errors, []);
});
