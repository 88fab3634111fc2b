// End-to-end tests of the resource model on the page: a scenario with `resources` shows each
// broker's CPU, disk and memory gauges, a publisher blocked by RabbitMQ's memory alarm and a
// paging queue; the comparison page's performance stories run to their end and fill their table.
// Screenshots under target/e2e/ (resources-*.png) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS } from './browser.mjs';

const suite = appSuite();

const RABBIT = JSON.stringify({
  name: 'RabbitMQ with 4 MB: the memory alarm',
  until: '10s',
  rabbit: {
    resources: { memory_mb: 4, memory_monitor_interval: '100ms' },
    queues: [{ name: 'q' }],
    publishers: [{ id: 'pub', routing_keys: ['q'], interval: '50us', count: 20000, size: 1000 }],
    consumers: [{ id: 'c', queue: 'q', auto_ack: true, start: '1s' }],
  },
});

const KAFKA = JSON.stringify({
  name: 'Kafka with resources',
  kafka: {
    brokers: 1,
    resources: {},
    topics: [{ name: 't', partitions: 4, replication_factor: 1 }],
    producers: [{ id: 'p', topic: 't', interval: '100us', linger: '0ms', batch_size: 100 }],
    consumers: [{ id: 'c', topic: 't' }],
  },
});

async function applyScenario(page, json) {
  await page.fill('#scenario-json', json);
  await page.click('#apply-scenario');
  await page.waitForFunction(() => !document.querySelector('#scenario-error'));
}

test('a RabbitMQ broker with resources: gauges, a blocked publisher, a paging queue', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-basic&seed=1&speed=1/10', { viewport: { width: 1440, height: 900 } });
  await applyScenario(page, RABBIT);
  await page.waitForSelector('.node.broker .gauge', { timeout: 20000 });
  assert.equal(await page.locator('.node.broker .gauge').count(), 3, 'CPU, disk, memory');
  await page.waitForSelector('.node.blocked', { timeout: 30000 });
  await page.waitForSelector('.rq-paged', { timeout: 30000 });
  assert.match(await page.textContent('.node.blocked .role'), /blocked/);
  assert.ok((await page.locator('.gauge.full[data-gauge="mem"]').count()) === 1, 'the memory gauge is full at the alarm');
  assert.match(await page.textContent('#mgmt-alarms'), /Memory alarm: .* MB used/);
  assert.equal(await page.textContent('#mgmt-connections td.blocked'), 'blocked');
  await page.screenshot({ path: `${SHOTS}/resources-rabbit-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/resources-rabbit-390.png`, fullPage: true });
  // Released once the consumer (from 1 s) drains the queue.
  await page.waitForFunction(() => !document.querySelector('.node.blocked'), null, { timeout: 60000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a Kafka broker with resources shows its gauges; a preset without them does not', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=1', { viewport: { width: 1440, height: 900 } });
  assert.equal(await page.locator('.gauge').count(), 0, 'no resources, no gauges');
  await applyScenario(page, KAFKA);
  await page.waitForSelector('.node.broker .gauge');
  await page.waitForFunction(() => Number(document.querySelector('.node.broker .gauge[data-gauge="CPU"] .gauge-fill')?.getAttribute('height')) > 0, null, { timeout: 30000 });
  await page.screenshot({ path: `${SHOTS}/resources-kafka-1440.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the performance stories run to their end and fill their table', async () => {
  const { page, errors } = await suite.open('?compare', { viewport: { width: 1440, height: 900 }, ready: '#perf' });
  assert.match(await page.textContent('#cmp-preset'), /consumer parallelism/);
  for (const story of ['load', 'batching']) {
    await page.click(`#perf-${story}`);
    await page.waitForSelector('#perf-done', { timeout: 180000 });
    const pending = await page.locator('#perf-table td.pending').count();
    assert.equal(pending, 0, `${story}: every point ran`);
    const rows = await page.locator('#perf-table tbody tr').count();
    assert.ok(rows >= 3, `${story}: ${rows} rows`);
    await page.locator('#perf').screenshot({ path: `${SHOTS}/resources-perf-${story}-1440.png` });
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#perf').screenshot({ path: `${SHOTS}/resources-perf-390.png` });
  assert.deepEqual(errors, []);
  await page.close();
});
