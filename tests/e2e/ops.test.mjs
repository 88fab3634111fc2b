// End-to-end test of what operators see: kafka-topics.sh --describe in a broker's inspector and
// under the partition log, kafka-consumer-groups.sh --describe under each group, RabbitMQ's
// management overview and a queue as its sequence of messages. Each opens paused at a fixed
// instant (`t=` in the link replays to it), so the rows are the engine's for that seed.
// Screenshots under target/e2e/ (70-…) at 1440×900 and 390×844 — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text } from './browser.mjs';

const suite = appSuite();
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

for (const [viewport, tag] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
  test(`kafka-basic (${tag}): a broker's inspector prints kafka-topics.sh --describe`, async () => {
    const { page, errors } = await suite.open('?preset=kafka-basic&seed=1&t=8000000', { viewport });
    await page.click('[data-node="b2"]');
    const out = await text(page, '#topics-describe');
    const lines = out.split('\n');
    assert.equal(lines[0], '$ kafka-topics.sh --bootstrap-server b2:9092 --describe --exclude-internal');
    assert.match(lines[1], /^Topic: orders\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: /);
    const parts = lines.filter((l) => l.startsWith('\tTopic: orders\tPartition: '));
    assert.equal(parts.length, 3, out);
    // b1 stopped at 3 s: no partition is led by it, and it is in no ISR.
    for (const l of parts) {
      const f = Object.fromEntries(l.trim().split('\t').map((kv) => kv.split(': ')));
      assert.notEqual(f.Leader, '1', l);
      assert.ok(!f.Isr.split(',').includes('1'), l);
      assert.equal(f.Replicas.split(',').length, 3, l);
      assert.equal(f.Elr, 'N/A');
    }
    // The partition log panel describes its own topic.
    assert.match(await text(page, '#topic-describe'), /--describe --topic orders\nTopic: orders\t/);
    await page.locator('#topics-describe').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/70-kafka-topics-describe-${tag}.png` });
    assert.ok((await sideways(page)) <= 0, `no sideways scroll (${await sideways(page)} px)`);
    assert.deepEqual(errors, []);
  });

  test(`kafka-groups (${tag}): the group panel prints kafka-consumer-groups.sh --describe`, async () => {
    const { page, errors } = await suite.open('?preset=kafka-groups&seed=1&t=14000000', { viewport });
    const out = await text(page, '#group-describe-0');
    const lines = out.split('\n');
    assert.equal(lines[0], '$ kafka-consumer-groups.sh --bootstrap-server b1:9092 --describe --group notification-service');
    assert.equal(lines[2], 'GROUP                TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID');
    const rows = lines.slice(3).map((l) => l.split(/ +/));
    assert.equal(rows.length, 6, out);
    assert.deepEqual(rows.map((r) => r[2]).sort(), ['0', '1', '2', '3', '4', '5']);
    for (const r of rows) {
      assert.match(r[3], /^\d+$/, `committed by 14 s: ${r.join(' ')}`);
      assert.equal(Number(r[5]), Number(r[4]) - Number(r[3]), `LAG = LOG-END-OFFSET − CURRENT-OFFSET: ${r.join(' ')}`);
      assert.equal(r[7], `/${r[8]}`);
      assert.ok(['n1', 'n2', 'n3'].includes(r[8]), r.join(' '));
    }
    // A member's inspector prints the same command for its group.
    await page.click('[data-node="n1"]');
    assert.match(await text(page, '#consumer-group-describe'), /--describe --group notification-service\n/);
    await page.locator('#group-describe-0').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/71-kafka-groups-describe-${tag}.png` });
    assert.ok((await sideways(page)) <= 0, `no sideways scroll (${await sideways(page)} px)`);
    assert.deepEqual(errors, []);
  });

  test(`rabbit-basic (${tag}): the management overview`, async () => {
    const { page, errors } = await suite.open('?preset=rabbit-basic&seed=1&t=250000', { viewport });
    await page.waitForSelector('#rabbit-overview');
    const names = await page.$$eval('#mgmt-queues tr[data-queue] td:first-child', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, ['billing', 'shipping', 'audit', 'lost-and-found', 'dead-letters']);
    // Each queue's Ready / Unacked / Total are the drawing's counts.
    for (const q of names) {
      const drawn = await page.$eval(`#rabbit g[data-queue="${q}"]`, (g) => [Number(g.dataset.ready), Number(g.dataset.unacked)]);
      const row = await page.$eval(`#mgmt-queues tr[data-queue="${q}"]`, (tr) =>
        ['ready', 'unacked', 'total'].map((c) => Number(tr.querySelector(`td.${c}`).textContent)));
      assert.deepEqual(row, [drawn[0], drawn[1], drawn[0] + drawn[1]], q);
    }
    assert.equal(await page.locator('#mgmt-connections tr').count(), 1 + 4, 'shop and three consumers');
    assert.match(await text(page, '#mgmt-channels'), /shop -> rabbit:5672 \(1\)C/);

    await page.locator('#rabbit-overview').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/73-rabbit-overview-${tag}.png` });
    assert.ok((await sideways(page)) <= 0, `no sideways scroll (${await sideways(page)} px)`);
    assert.deepEqual(errors, []);
  });

  test(`rabbit-by-hand (${tag}): a queue as its sequence, the head, what you hold`, async () => {
    // At 2.5 s you hold three deliveries of inbox (prefetch 3) and more wait behind the head.
    const { page, errors } = await suite.open('?preset=rabbit-by-hand&seed=1&speed=1&t=2500000', { viewport });
    await page.click('#rabbit g[data-queue="inbox"]');
    const strip = page.locator('#queue-strip');
    await strip.waitFor();
    const [ready, unacked] = await Promise.all(['data-ready', 'data-unacked'].map((a) => strip.getAttribute(a).then(Number)));
    const drawn = await page.$eval('#rabbit g[data-queue="inbox"]', (g) => [Number(g.dataset.ready), Number(g.dataset.unacked)]);
    assert.deepEqual([ready, unacked], drawn);
    assert.equal(unacked, 3, 'the prefetch window is full');
    assert.ok(ready >= 1, `messages wait behind the head (${ready})`);
    assert.equal(await page.locator('#queue-strip li.held').count(), 3);
    assert.equal(await page.locator('#queue-strip li.ready').count(), Math.min(ready, 24));
    // Held cells come before the head, ready ones after it.
    const order = await page.$$eval('#queue-strip li', (els) => els.map((e) => e.classList.contains('qs-head') ? 'head' : e.classList.contains('held') ? 'held' : 'ready'));
    assert.deepEqual(order, [...Array(3).fill('held'), 'head', ...Array(Math.min(ready, 24)).fill('ready')]);
    const holders = await page.$$eval('#queue-strip li.held .qs-by', (els) => els.map((e) => e.textContent));
    assert.deepEqual(holders, ['you t1', 'you t2', 'you t3']);
    await strip.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/72-rabbit-queue-strip-${tag}.png` });
    // Nack the first with requeue and play: it goes back to its place at the head and is
    // delivered again at once (the window has room), flagged redelivered.
    await page.click('#rabbit-inspector button.settle.nack');
    await page.click('#play');
    await page.waitForSelector('#queue-strip li.held.redelivered', { timeout: 30000 });
    await page.click('#play');
    await strip.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/74-rabbit-queue-strip-redelivered-${tag}.png` });
    assert.ok((await sideways(page)) <= 0, `no sideways scroll (${await sideways(page)} px)`);
    assert.deepEqual(errors, []);
  });
}

test('rabbit-basic: the strip follows the run live', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-basic&seed=1&speed=1/10');
  await page.click('#rabbit g[data-queue="billing"]');
  await page.waitForSelector('#queue-strip');
  // The queue moves: what the strip shows changes as the run plays.
  const first = await page.$eval('#queue-strip', (e) => e.textContent);
  await page.waitForFunction((f) => document.querySelector('#queue-strip')?.textContent !== f, first, { timeout: 30000 });
  assert.deepEqual(errors, []);
});
