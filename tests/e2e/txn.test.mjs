// End-to-end test of Kafka transactions (issue 16): the kafka-transactions preset runs with no
// console error; the event log shows a zombie producer fenced, the producer inspector its
// transactional id and epoch, and a broker's partition logs the COMMIT markers.
// Screenshots under target/e2e/ (txn-…) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text } from './browser.mjs';

const suite = appSuite();
const logHas = (page, re, timeout = 90000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#log')?.textContent ?? ''), re.source, {
    timeout,
    polling: 50,
  });

test('kafka-transactions: transactions commit, a crashed one aborts, the zombie is fenced', async () => {
  const { page, errors } = await suite.open('?preset=kafka-transactions&seed=1&speed=10', {
    viewport: { width: 1440, height: 900 },
  });
  await logHas(page, /payment-service committed the transaction of payments-tx/);
  await logHas(page, /payment-service \(epoch \d+\) is fenced: transactional id payments-tx has a newer epoch/);
  await page.click('#play'); // pause
  await page.click('[data-node="payment-service"]');
  assert.match(await page.textContent('#inspector'), /transactional id payments-tx, producer id 10000 epoch \d+; fenced/);
  await page.locator('#inspector').screenshot({ path: `${SHOTS}/txn-0-zombie-inspector.png` });
  await page.click('[data-node="payment-service-2"]');
  assert.match(await page.textContent('#inspector'), /transactional id payments-tx, producer id 10000 epoch \d+/);
  await page.click('[data-node="b1"]');
  await page.click('.partition-logs summary');
  const logs = await page.textContent('#partition-logs');
  assert.match(logs, /payments-\d\n/);
  assert.match(logs, /\d+:\d+·COMMIT/);
  assert.doesNotMatch(logs, /__transaction_state/);
  await page.screenshot({ path: `${SHOTS}/txn-1-partition-logs.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/txn-2-phone.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('kafka-exactly-once: processors commit offsets in their transactions, a crashed one is aborted', async () => {
  const { page, errors } = await suite.open('?preset=kafka-exactly-once&seed=1&speed=1', {
    viewport: { width: 1440, height: 900 },
  });
  // The log keeps the newest lines; a filter picks each story's line out of the stream.
  await page.fill('.log-filter', 'AddOffsetsToTxn');
  await logHas(page, /proc-1 sends its consumed offsets to the transaction of proc-1-tx/);
  await page.fill('.log-filter', 'TxnOffsetCommit');
  await logHas(page, /group transformer's coordinator wrote proc-\d's offsets of partitions \d \(TxnOffsetCommit\)/);
  await page.fill('.log-filter', 'drops the offsets');
  await logHas(page, /the ABORT marker of producer id 10000 drops the offsets it held for group transformer/);
  await page.fill('.log-filter', 'proc-1 committed input-0');
  await logHas(page, /proc-1 committed input-0 at \d+ for transformer/);
  await page.fill('.log-filter', '');
  await page.click('#play'); // pause
  await page.click('[data-node="proc-1"]');
  const inspector = await page.textContent('#inspector');
  assert.match(inspector, /reads input, writes output; exactly-once; transactional id proc-1-tx, producer id 10000 epoch \d+/);
  assert.match(inspector, /offsets of its last committed batch: p0→\d+/);
  await page.locator('#inspector').screenshot({ path: `${SHOTS}/eos-0-processor-inspector.png` });
  await page.screenshot({ path: `${SHOTS}/eos-1-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/eos-2-phone.png`, fullPage: true });
  assert.deepEqual(errors, []);
});
