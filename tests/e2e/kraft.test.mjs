// End-to-end test of KRaft mode: the kafka-kraft preset opens with its controller quorum (one
// active controller, the metadata log under each), and a broker cut from the controllers is
// drawn fenced. Screenshots under target/e2e/ — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();

test('KRaft: the controller quorum is drawn, and a broker cut from it is fenced', async () => {
  const { page, errors } = await suite.open('?preset=kafka-kraft&seed=1&speed=10', { viewport: { width: 1440, height: 900 } });
  await untilSimSeconds(page, 2);
  assert.equal(await page.locator('[data-node^="ctl"]').count(), 3, 'three controllers');
  await page.waitForSelector('[data-node^="ctl"].zk-leader');
  assert.match(await text(page, '[data-node^="ctl"].zk-leader .role'), /^active$/);
  assert.match(await text(page, '[data-node^="ctl"].zk-leader .owns'), /log \d+ · HW \d+/);
  assert.match(await text(page, '#kraft-note'), /no snapshots/);
  await page.click('#play'); // pause, so the cut happens at a known time
  const t0 = parseFloat(await text(page, '#sim-time'));
  await page.click('[data-node="b2"]');
  await page.click('#node-session');
  assert.match(await text(page, '#node-session'), /Reconnect to the controllers/);
  await page.click('#play');
  // broker_session_timeout is 2 s in kafka-kraft: fenced by then, its leaderships moved.
  await untilSimSeconds(page, t0 + 2.5);
  await page.click('#play');
  await page.waitForSelector('[data-node="b2"].fenced');
  assert.equal(await text(page, '[data-node="b2"] .role'), 'fenced');
  await page.click('[data-node^="ctl"].zk-leader');
  assert.match(await page.textContent('#metadata-log'), /FenceBroker b2/);
  await page.screenshot({ path: `${SHOTS}/40-kraft-fenced.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('.stage-svg').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/41-kraft-fenced-phone.png` });
  assert.deepEqual(errors, []);
});

test('KRaft combined mode: a broker that is also the active controller dies, both roles move', async () => {
  const { page, errors } = await suite.open('?preset=kafka-kraft-combined&seed=1&speed=1', { viewport: { width: 1440, height: 900 } });
  await untilSimSeconds(page, 2);
  await page.click('#play'); // pause before b2 dies at 3 s
  assert.equal(await page.locator('[data-node^="ctl"]').count(), 0, 'no controller nodes of their own');
  // b2 is a broker and the active controller: one box, both roles in its label, its log above it.
  await page.waitForSelector('[data-node="b2"].zk-leader');
  assert.equal(await text(page, '[data-node="b2"] .role'), 'broker · active');
  assert.match(await text(page, '[data-node="b2"] .owns'), /log \d+ · HW \d+/);
  assert.match(await text(page, '[data-node="b1"] .role'), /^broker · voter$/);
  await page.screenshot({ path: `${SHOTS}/42-kraft-combined.png` });
  // At 3 s b2 is killed; a new active controller among b1 and b3, then b2 is fenced.
  await page.click('#play');
  await untilSimSeconds(page, 8.2);
  await page.click('#play');
  assert.equal(await text(page, '[data-node="b2"] .role'), 'stopped');
  assert.equal(await page.locator('[data-node="b1"].zk-leader, [data-node="b3"].zk-leader').count(), 1);
  await page.click('[data-node="b3"]');
  assert.match(await page.textContent('#metadata-log'), /FenceBroker b2/);
  await page.screenshot({ path: `${SHOTS}/43-kraft-combined-failover.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('.stage-svg').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/44-kraft-combined-phone.png` });
  assert.deepEqual(errors, []);
});
