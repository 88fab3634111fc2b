// End-to-end test of the comparison's "exactly-once processing" story (?compare&story=exactly-once-processing):
// it opens and runs in the page with no console error, its card shows the counts tests/compare.rs
// checks natively (tests/golden/compare.rs, seed 1), the at_least_once toggle duplicates Kafka's
// output too, and a chip's journey opens. Screenshots at 1440×900 and 390×844 under target/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, number, text } from './browser.mjs';

const suite = appSuite();

const open = (viewport) =>
  suite.open('?compare&story=exactly-once-processing&seed=1', { viewport, ready: '#cmp-preset' });

async function finish(page) {
  await page.click('#cmp-finish');
  await page.waitForSelector('#cmp-done', { timeout: 60000 });
}

test('the exactly-once story: Kafka writes every input once, RabbitMQ duplicates the redelivered ones', async () => {
  const { page, errors } = await open({ width: 1440, height: 900 });
  assert.match(await text(page, '#cmp-why'), /^4b\. Exactly-once processing/);
  await finish(page);
  const k = (key) => text(page, `#cmp-kafka-${key}`);
  const r = (key) => text(page, `#cmp-rabbit-${key}`);
  // Seed 1, as tests/golden/compare.rs pins it (the Kafka lane's story-level counts only: its
  // transactions' number depends on batching).
  assert.deepEqual([await k('input'), await k('output'), await k('dup'), await k('lost')], ['100', '100', '0', '0']);
  assert.deepEqual([await r('input'), await r('output'), await r('dup'), await r('lost')], ['100', '103', '3', '0']);
  assert.equal(await r('redelivered'), '10');
  assert.match(await k('txns'), / \/ 1$/);
  assert.ok((await number(page, '#cmp-kafka-reprocessed')) > 0, 'Kafka processed the aborted batch again');
  // (The lane trace hashes equal the native ones: tests/browser.rs against tests/golden/compare.rs.)
  assert.match(await k('hash'), /^[0-9a-f]{16}$/);
  await page.screenshot({ path: `${SHOTS}/34-compare-exactly-once.png` });
  await page.screenshot({ path: `${SHOTS}/34-compare-exactly-once-full.png`, fullPage: true });
  // A chip opens its journey (the input record's, from the producer).
  await page.locator('#cmp-lane-rabbit .chip.dup').first().click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/35-compare-exactly-once-journey.png` });
  assert.deepEqual(errors, []);
});

test('the toggle: with "guarantee": "at_least_once" Kafka duplicates too; a bad stage is said in words', async () => {
  const { page, errors } = await open({ width: 1440, height: 900 });
  await page.click('#cmp-workload >> xpath=..');
  const json = await page.inputValue('#cmp-workload');
  assert.match(json, /"guarantee": "exactly_once_v2"/);
  await page.fill('#cmp-workload', json.replace('"exactly_once_v2"', '"at_least_once"'));
  await page.click('#cmp-apply');
  await finish(page);
  assert.ok((await number(page, '#cmp-kafka-dup')) > 0, 'at-least-once: the crash writes records again');
  assert.equal(await number(page, '#cmp-kafka-lost'), 0);
  assert.equal(await text(page, '#cmp-kafka-txns'), '0 / 0');
  await page.fill('#cmp-workload', json.replace('"batch": 10', '"batch": 11'));
  await page.click('#cmp-apply');
  assert.match(await text(page, '#cmp-error'), /stage\.batch: from 1 to rabbit\.prefetch \(10\)/);
  await page.fill('#cmp-workload', json.replace('"exactly_once_v2"', '"twice"'));
  await page.click('#cmp-apply');
  assert.match(await text(page, '#cmp-error'), /guarantee/);
  assert.deepEqual(errors, []);
});

test('the exactly-once story on a phone', async () => {
  const { page, errors } = await open({ width: 390, height: 844 });
  await finish(page);
  assert.equal(await text(page, '#cmp-kafka-dup'), '0');
  await page.screenshot({ path: `${SHOTS}/36-compare-exactly-once-phone.png` });
  await page.locator('#cmp-lane-kafka').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/36-compare-exactly-once-phone-lane.png` });
  assert.deepEqual(errors, []);
});

test('its lesson asks first, answers from the lanes, and offers at_least_once as the variation', async () => {
  const { page, errors } = await suite.open('?lesson=compare-exactly-once', { viewport: { width: 1440, height: 900 }, ready: '#lesson' });
  assert.equal(await page.locator('#cmp-why').count(), 0, "the story's explanation waits for the answer");
  await page.click('#choice-2'); // only in RabbitMQ
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-verdict'), /You predicted it/);
  assert.equal(await text(page, '#cmp-kafka-dup'), '0');
  await page.screenshot({ path: `${SHOTS}/37-lesson-exactly-once.png` });
  await page.click('#try-0');
  await page.waitForSelector('#lesson-variation');
  assert.match(page.url(), /\?lesson=compare-exactly-once&try=1&seed=1$/);
  await page.click('#choice-3'); // both
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-verdict'), /You predicted it/);
  assert.ok((await number(page, '#cmp-kafka-dup')) > 0);
  assert.deepEqual(errors, []);
});

test('the story in Korean', async () => {
  const { page, errors } = await suite.open('?compare&story=exactly-once-processing&seed=1&lang=ko', { viewport: { width: 390, height: 844 }, ready: '#cmp-preset' });
  await finish(page);
  assert.match(await text(page, '#cmp-why'), /정확히 한 번/);
  const headers = await page.locator('#cmp-lane-kafka .stats th').allTextContents();
  assert.ok(headers.every((h) => /[가-힣]/.test(h)), `the card's rows in Korean: ${headers}`);
  await page.screenshot({ path: `${SHOTS}/38-compare-exactly-once-ko-phone.png` });
  assert.deepEqual(errors, []);
});
