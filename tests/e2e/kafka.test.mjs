// End-to-end tests of the Kafka playground: the guided walkthrough, consumer groups rebalancing,
// the configuration panel. Screenshots under target/e2e/ — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text, number, untilSimSeconds } from './browser.mjs';

const suite = appSuite();
const open = (query) => suite.open(query);
const attr = (page, sel, name) => page.getAttribute(sel, name).then(Number);

/** Clicks "Next step" until the walkthrough says it is done; returns the step titles seen. */
async function walkToTheEnd(page, shot) {
  const titles = [];
  for (let i = 0; i < 15 && !(await page.isVisible('#walk-done')); i++) {
    await page.waitForSelector('#walk-next', { timeout: 60000 });
    if (await page.isVisible('#walk-done')) break;
    titles.push(await text(page, '#walk-title'));
    if (shot && titles.length === shot.at) {
      await page.screenshot({ path: `${SHOTS}/${shot.name}` });
    }
    await page.click('#walk-next');
  }
  return titles;
}

test('the walkthrough follows one record from the key to the commit', async () => {
  const { page, errors } = await open('?preset=kafka-groups&seed=1');
  await page.click('#walk-start');
  await page.waitForSelector('#walk-next');
  assert.match(await text(page, '#walk-count'), /step 1 of 7/);
  await page.keyboard.press('ArrowRight'); // → moves on in a walkthrough
  await page.waitForFunction(() => /step 2 of 7/.test(document.querySelector('#walk-count')?.textContent ?? ''));
  const titles = await walkToTheEnd(page, { at: 2, name: '10-walk-append.png' });
  assert.equal(titles.length, 6, titles.join(' | '));
  assert.match(titles[0], /picks partition \d from the key/);
  assert.match(titles[1], /appends it at offset \d+/);
  assert.ok(titles.some((t) => /HW passes offset/.test(t)), 'the high watermark step');
  assert.ok(titles.some((t) => /is acknowledged/.test(t)), 'the ack step');
  assert.ok(titles.some((t) => /reads it/.test(t)), 'the consumer step');
  assert.match(titles[5], /commits offset \d+/);
  assert.match(await text(page, '#walk-done'), /made it/);
  await page.screenshot({ path: `${SHOTS}/11-walk-done.png`, fullPage: true });
  await page.click('#walk-next'); // close
  assert.equal(await page.locator('#walk').count(), 0);
  assert.deepEqual(errors, []);
});

test('the walkthrough with the leader killed mid-flow: new leader, retry, still consumed', async () => {
  const { page, errors } = await open('?preset=kafka-groups&seed=1');
  await page.click('#walk-start-kill');
  const titles = await walkToTheEnd(page, { at: 5, name: '12-walk-new-leader.png' });
  assert.equal(titles.length, 9, titles.join(' | '));
  assert.match(titles[3], /the leader, crashes/);
  assert.match(titles[4], /The controller elects b\d for orders-\d/);
  // The consumer may read the copy the new leader already had before the producer retries:
  // each step is told when it happens.
  const retry = titles.findIndex((t) => /retries record/.test(t));
  assert.ok(retry > 4, titles.join(' | '));
  assert.ok(/is acknowledged/.test(titles[retry + 1]), titles.join(' | '));
  assert.ok(titles.some((t) => /reads it/.test(t)), titles.join(' | '));
  assert.match(titles[8], /commits offset/);
  assert.equal(await page.locator('.node.broker.down').count(), 1, 'the killed leader is drawn stopped');
  await page.screenshot({ path: `${SHOTS}/13-walk-kill-done.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('adding a consumer rebalances the group: state, generation and moved partitions', async () => {
  // ×10; the preset itself starts n4 at 25 s: add it by hand before that.
  const { page, errors } = await open('?preset=kafka-groups&seed=1&speed=10');
  await untilSimSeconds(page, 5);
  await page.waitForSelector('[data-group="notification-service"] .gstate.current[data-state="Stable"]');
  await page.click('#play'); // pause
  const group = page.locator('[data-group="notification-service"]');
  const gen0 = Number((await group.locator('.gen').textContent()).match(/\d+/)[0]);
  assert.equal(await page.locator('[data-member="n4"] .chip:not(.empty)').count(), 0, 'n4 owns nothing yet');
  await page.click('.add-consumer');
  await page.click('#play');
  // The group goes through PreparingRebalance and comes back Stable in a later generation, with
  // partitions moved to n4.
  await page.waitForFunction((g0) => {
    const el = document.querySelector('[data-group="notification-service"]');
    const gen = Number(el.querySelector('.gen').textContent.match(/\d+/)[0]);
    return gen > g0 && el.querySelector('.gstate.current')?.dataset.state === 'Stable'
      && document.querySelectorAll('[data-member="n4"] .chip:not(.empty)').length > 0;
  }, gen0, { timeout: 60000, polling: 100 });
  await page.click('#play'); // pause to look
  assert.ok(await page.locator('.chip.moved').count() > 0, 'moved partitions are marked');
  assert.match(await text(page, '.gap-line'), /last rebalance: \d.*; cost: (\d+\.\d+ partition-s|…) not consumed/);
  // The log keeps the assignment even after a burst of records: the filter finds it.
  await page.fill('.log-filter', 'n4 owns');
  assert.match(await page.textContent('#log'), /n4 owns \[/);
  await page.fill('.log-filter', '');
  await page.click('[data-node="n4"]');
  assert.match(await text(page, '#consumer-group'), /group notification-service/);
  assert.ok(await page.locator('#consumer-partitions td.lag').count() > 0, 'lag per partition');
  assert.equal(await page.locator('.chart-panel canvas').count(), 4, 'throughput, latency, lag, replication');
  await page.screenshot({ path: `${SHOTS}/14-rebalance.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('the configuration panel: an invalid value gets its message inline, nothing typed is lost', async () => {
  const { page, errors } = await open('?preset=kafka-groups&seed=1');
  const rf = '#cfg-kafka-topics-0--replication-factor';
  assert.equal(await page.inputValue(rf), '3');
  await page.fill(rf, '5');
  assert.match(await text(page, `${rf}-error`), /must be from 1 to the number of brokers \(3\)/);
  assert.ok(await page.isDisabled('#apply-config'), 'cannot apply an invalid configuration');
  await page.fill('#cfg-kafka-producers-0--interval', '10 parsecs');
  // One problem at a time: a value that does not parse first, then the engine's checks.
  assert.match(await text(page, '#cfg-kafka-producers-0--interval-error'), /parsecs/);
  assert.equal(await page.inputValue(rf), '5', 'the other field keeps its text');
  await page.fill(rf, '2');
  assert.equal(await page.inputValue('#cfg-kafka-producers-0--interval'), '10 parsecs', 'the text stays as typed');
  await page.locator('#config').screenshot({ path: `${SHOTS}/15-config-invalid.png` });
  await page.fill('#cfg-kafka-producers-0--interval', '20ms');
  await page.fill('#cfg-kafka-groups-0--consumers', '2');
  assert.ok(!(await page.isDisabled('#apply-config')));
  await page.click('#apply-config');
  assert.equal(await page.locator('[data-member]').count(), 2, 'two consumers in the group now');
  assert.match(await page.inputValue('#scenario-json'), /"interval": "20ms"/);
  assert.equal(await page.inputValue(rf), '2');
  assert.deepEqual(errors, []);
});

test('eager vs cooperative: the same join with cooperative-sticky keeps partitions consumed', async () => {
  const { page, errors } = await open('?preset=kafka-groups&seed=1&speed=10');
  await page.click('.switch-protocol');
  assert.equal(await text(page, '[data-group="notification-service"] .protocol'), 'cooperative');
  assert.match(await page.inputValue('#scenario-json'), /"assignor": "cooperative-sticky"/);
  await untilSimSeconds(page, 5);
  await page.waitForSelector('[data-group="notification-service"] .gstate.current[data-state="Stable"]');
  await page.click('#play');
  await page.click('.add-consumer');
  await page.click('#play');
  await page.waitForFunction(() => /kept being consumed/.test(document.querySelector('.gap-line')?.textContent ?? '')
    && document.querySelector('[data-group="notification-service"] .gstate.current')?.dataset.state === 'Stable'
    && document.querySelectorAll('[data-member="n4"] .chip:not(.empty)').length > 0, null, { timeout: 60000, polling: 100 });
  await page.click('#play');
  const line = await text(page, '.gap-line');
  const kept = Number(line.match(/(\d+) kept being consumed/)[1]);
  assert.ok(kept > 0, line);
  await page.locator('#groups').screenshot({ path: `${SHOTS}/16-cooperative.png` });
  assert.deepEqual(errors, []);
});

test('expiring a broker\'s coordinator session: its znode goes, the controller moves its leaders', async () => {
  const { page, errors } = await open('?preset=kafka-basic&seed=1&speed=10');
  await untilSimSeconds(page, 1);
  await page.click('#play'); // pause, so the cut happens at a known time
  const t0 = parseFloat(await text(page, '#sim-time'));
  await page.click('[data-node="b2"]');
  await page.click('#node-session');
  assert.match(await text(page, '#node-session'), /Reconnect to ZooKeeper/);
  assert.equal(await page.locator('[data-link].cut').count(), 1, 'the b2–zk link is cut');
  await page.click('#play');
  // session_timeout is 2 s in kafka-basic: 4 s later the coordinator has expired b2's session.
  await untilSimSeconds(page, t0 + 4);
  await page.click('#play');
  await page.click('[data-node="zk"]');
  const znodes = await page.textContent('#znodes');
  assert.doesNotMatch(znodes, /\/brokers\/ids\/2 /, 'b2\'s ephemeral registration is gone');
  assert.match(znodes, /\/brokers\/ids\/3 /);
  await page.screenshot({ path: `${SHOTS}/17-session-expired.png`, fullPage: true });
  await page.click('[data-node="b2"]');
  await page.click('#node-session');
  assert.equal(await page.locator('[data-link].cut').count(), 0, 'healed');
  assert.deepEqual(errors, []);
});

test('clicking an event-log line highlights the nodes it concerns', async () => {
  const { page, errors } = await open('?preset=kafka-basic&seed=1&speed=10');
  await untilSimSeconds(page, 1);
  await page.click('#play'); // pause: the log stops moving
  const line = page.locator('#log .log-line', { hasText: 'produce-acked' }).last();
  await line.click();
  await page.waitForSelector('[data-node="order-service"].highlight');
  await page.screenshot({ path: `${SHOTS}/18-log-highlight.png`, fullPage: true });
  await line.click();
  await page.waitForFunction(() => !document.querySelector('[data-node="order-service"].highlight'));
  // A broker's inspector opens each partition's log, replica by replica, with HW and LEO marked.
  await page.click('[data-node="b1"]');
  await page.click('.partition-logs summary');
  const logs = await page.textContent('#partition-logs');
  assert.match(logs, /orders-\d\n\s+b1 /);
  assert.match(logs, /\d+:\d+ .*\|(HW|HW=LEO|LEO) \d+/);
  await page.screenshot({ path: `${SHOTS}/19-partition-logs.png`, fullPage: true });
  // Slowing a node's network is a command like any other: the log says so, and it can be undone.
  await page.click('[data-node="b2"]');
  await page.click('#node-slow');
  await page.waitForFunction(() => /Normal network/.test(document.querySelector('#node-slow').textContent));
  // (filtered: at ×10 the line would scroll out of the newest 300 between two looks)
  await page.fill('.log-filter', 'link-slowed');
  await page.click('#play');
  await page.waitForFunction(() => /link-slowed\s+b2 <-> \S+\s+\+50ms/.test(document.querySelector('#log').textContent));
  await page.fill('.log-filter', '');
  await page.click('#node-slow');
  await page.waitForFunction(() => /Slow network/.test(document.querySelector('#node-slow').textContent));
  assert.deepEqual(errors, []);
});

test('the ZooKeeper ensemble shows its leader and quorum, and a server left looking', async () => {
  // A link with t= opens paused at that instant (µs).
  const { page, errors } = await open('?preset=kafka-zk-ensemble&seed=1&t=3000000');
  const label = (n) => text(page, `[data-node="${n}"] text.role`);
  assert.equal(await label('zk3'), 'leader (3 of 3)');
  assert.equal(await label('zk1'), 'follower');
  assert.match(await page.textContent('[data-node="zk1"] title'), /follower of zk3/);
  assert.ok(await page.isVisible('[data-node="zk3"].zk-leader'));
  await page.locator('.stage-svg').screenshot({ path: `${SHOTS}/17-zk-ensemble.png` });
  // zk3 dies at 4 s and zk2 at 9 s: zk1 alone has no quorum.
  const later = await open('?preset=kafka-zk-ensemble&seed=1&t=12000000');
  assert.equal(await text(later.page, '[data-node="zk1"] text.role'), 'looking');
  assert.ok(await later.page.isVisible('[data-node="zk1"].zk-not-serving'));
  await later.page.locator('.stage-svg').screenshot({ path: `${SHOTS}/18-zk-no-quorum.png` });
  assert.deepEqual([...errors, ...later.errors], []);
});

test('the partition log: each replica as a strip of offsets, the stopped one greyed, the readers marked', async () => {
  // kafka-basic stops b1 at 3 s; at 6 s its ZooKeeper session has expired and the others lead.
  const { page, errors } = await open('?preset=kafka-basic&seed=1&t=6000000');
  await page.waitForSelector('#partition-log .pl-strip');
  assert.equal(await page.locator('#partition-log .pl-strip').count(), 3, 'replication factor 3');
  assert.ok(await page.isVisible('#partition-log .pl-strip.down[data-broker="b1"]'), 'b1 is stopped');
  assert.equal(await page.locator('#partition-log .pl-strip.leader').count(), 1);
  const hw = await attr(page, '#partition-log .pl-strip.leader', 'data-hw');
  const leo = await attr(page, '#partition-log .pl-strip.leader', 'data-leo');
  assert.ok(hw > 0 && hw <= leo, `HW ${hw} ≤ LEO ${leo}`);
  assert.ok(await page.locator('#partition-log .pl-reader[data-reader="notifier"] .pl-mark').count() > 0);
  await page.locator('#partition-log').screenshot({ path: `${SHOTS}/19-partition-log.png` });
  await page.selectOption('#log-partition', { label: 'orders-2' });
  assert.match(await page.getAttribute('#partition-log svg', 'aria-label'), /orders-2/);
  assert.deepEqual(errors, []);
});
