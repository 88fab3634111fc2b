// End-to-end test of rack awareness (issue 16): the kafka-racks preset runs in the page with no
// console error; the stage shows each broker's and consumer's rack, the log the preferred read
// replicas (KIP-392), and a consumer's inspector where it reads from and its cross-rack bytes.
// Screenshots under target/e2e/ (racks-…) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();
const logHas = (page, re, timeout = 90000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#log')?.textContent ?? ''), re.source, {
    timeout,
    polling: 50,
  });

test('kafka-racks: consumers read from the follower in their rack, and go back to the leader when it dies', async () => {
  const { page, errors } = await suite.open('?preset=kafka-racks&seed=1&speed=10');
  await logHas(page, /reader-a fetches orders-\d from follower b[14], in its client\.rack/);
  assert.match(await text(page, '[data-node="b4"]'), /rack az-a/);
  assert.match(await text(page, '[data-node="reader-b"]'), /rack az-b/);
  await page.setViewportSize({ width: 1440, height: 900 });
  await untilSimSeconds(page, 5);
  await page.click('#play'); // pause
  await page.click('[data-node="reader-a"]');
  assert.match(await text(page, '#inspector'), /client\.rack az-a; reads from followers: p\d ← b[14]/);
  assert.match(await text(page, '#inspector'), /, 0 bytes across racks/);
  await page.screenshot({ path: `${SHOTS}/racks-1-reading-in-rack.png`, fullPage: true });
  await page.click('#play');
  await logHas(page, /reader-a goes back to the leader for orders-\d: its connection to b4 was lost/);
  await page.screenshot({ path: `${SHOTS}/racks-2-b4-down.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/racks-3-phone.png`, fullPage: true });
  // The description's long setting names wrap: the page does not scroll sideways on a phone.
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(sideways, 0);
  assert.deepEqual(errors, []);
});
