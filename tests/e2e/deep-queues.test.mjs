// End-to-end tests of the "deep queues" story on the comparison page and of the two presets with
// the resource model on: the story runs both systems to their end, draws its four charts and sums
// the run up; each preset opens from its URL with its brokers' gauges, and RabbitMQ's shows the
// blocked publishers. Screenshots under target/e2e/ (deep-*.png) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS } from './browser.mjs';

const suite = appSuite();

test('the deep queues story runs both systems and sums them up', async () => {
  const { page, errors } = await suite.open('?compare', { viewport: { width: 1440, height: 900 }, ready: '#perf' });
  await page.click('#perf-deep');
  await page.waitForSelector('#deep-why');
  assert.match(await page.textContent('#deep-why'), /memory alarm/);
  await page.waitForSelector('#deep-done', { timeout: 240000 });
  assert.equal(await page.locator('#deep canvas').count(), 4, 'four charts');
  const summary = await page.textContent('#deep-summary');
  assert.match(summary, /RabbitMQ: the queue held up to \d+ messages \(\d+ of them paged to disk\); publishers were blocked for \d+ ms, from [\d.]+m?s; caught up at [\d.]+m?s\./);
  assert.match(summary, /Kafka: the lag reached \d+ records; the producer published at least \d+ a second throughout/);
  await page.locator('#deep').screenshot({ path: `${SHOTS}/deep-story-1440.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#deep').screenshot({ path: `${SHOTS}/deep-story-390.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the rabbit-resources preset shows the gauges, paging and the blocked publishers', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-resources&seed=1&speed=1', { viewport: { width: 1440, height: 900 } });
  await page.waitForSelector('.node.broker .gauge', { timeout: 20000 });
  assert.equal(await page.locator('.node.broker .gauge').count(), 3, 'CPU, disk, memory');
  await page.waitForSelector('.rq-paged', { timeout: 60000 });
  await page.waitForSelector('.node.blocked', { timeout: 60000 });
  assert.equal(await page.locator('.node.blocked').count(), 2, 'both publishers blocked');
  await page.screenshot({ path: `${SHOTS}/deep-rabbit-preset-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/deep-rabbit-preset-390.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the kafka-resources preset shows each broker\'s gauges', async () => {
  const { page, errors } = await suite.open('?preset=kafka-resources&seed=1&speed=1', { viewport: { width: 1440, height: 900 } });
  await page.waitForSelector('.node.broker .gauge', { timeout: 20000 });
  assert.equal(await page.locator('.node.broker .gauge').count(), 9, 'three brokers, three gauges each');
  await page.waitForFunction(() => Number(document.querySelector('.node.broker .gauge[data-gauge="CPU"] .gauge-fill')?.getAttribute('height')) > 0, null, { timeout: 30000 });
  await page.screenshot({ path: `${SHOTS}/deep-kafka-preset-1440.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
