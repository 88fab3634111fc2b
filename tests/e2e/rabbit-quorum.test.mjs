// End-to-end test of a RabbitMQ cluster with a quorum queue: the rabbit-quorum preset opens with
// three nodes, rabbit-1 leading the queue; stopping rabbit-1 from its inspector elects another
// node's member (a later term), publishers go on being confirmed through the new leader, and the
// queue drains once they stop (tests/rabbit_quorum.rs checks the same run loses no confirmed
// message); the queue's inspector lists its Raft group. Screenshots under target/e2e/ — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();

test('RabbitMQ cluster: killing the quorum queue leader\'s node shows the new leader', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-quorum&seed=1&speed=1', { viewport: { width: 1440, height: 900 } });
  await untilSimSeconds(page, 1);
  assert.equal(await page.locator('[data-node^="rabbit-"]').count(), 3, 'three nodes');
  await page.waitForSelector('[data-node="rabbit-1"].zk-leader');
  assert.equal(await text(page, '[data-node="rabbit-1"] .role'), 'orders: leader');
  assert.equal(await text(page, '[data-node="rabbit-2"] .role'), 'orders: follower');
  assert.match(await text(page, '[data-node="rabbit-1"] .owns'), /^term 1 · log \d+ · commit \d+$/);
  await page.screenshot({ path: `${SHOTS}/50-rabbit-quorum.png` });
  // The preset stops rabbit-1 itself at 3 s; stop it by hand before that, from its inspector.
  await page.click('#play');
  await page.click('[data-node="rabbit-1"]');
  await page.click('#node-stop-start');
  await page.click('#play');
  await page.waitForSelector('[data-node^="rabbit-"].zk-leader:not([data-node="rabbit-1"])', { timeout: 30000 });
  const leader = await page.getAttribute('[data-node^="rabbit-"].zk-leader', 'data-node');
  assert.notEqual(leader, 'rabbit-1');
  assert.match(await text(page, `[data-node="${leader}"] .owns`), /^term [2-9]/);
  assert.equal(await page.locator('[data-node="rabbit-1"].down').count(), 1);
  await page.click('#play');
  await page.click(`[data-node="${leader}"]`);
  const table = await page.textContent('#quorum-members');
  assert.match(table, /orders\s*leader\s*[2-9]/);
  assert.match(await text(page, '#cluster-view'), /sees down: rabbit-1/);
  // The queue's inspector in the RabbitMQ panel: its Raft group.
  await page.click('#rabbit g[data-queue="orders"]');
  const raft = await text(page, '#queue-raft');
  assert.match(raft, /rabbit-1 down/);
  assert.match(raft, new RegExp(`${leader}, term [2-9]`));
  assert.match(raft, /\d+ of \d+ in the leader's log/);
  await page.screenshot({ path: `${SHOTS}/51-rabbit-quorum-new-leader.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('.stage-svg').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/52-rabbit-quorum-phone.png` });
  assert.deepEqual(errors, []);
});
