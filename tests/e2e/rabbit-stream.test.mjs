// End-to-end test of a RabbitMQ stream (preset rabbit-stream): the stream's log panel with each
// consumer's offset, its inspector with the first and last offsets. Screenshots under target/e2e/
// (49-…) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text } from './browser.mjs';

const suite = appSuite();

const readers = (page) => page.$$eval('#stream-log g[data-reader]', (gs) =>
  Object.fromEntries(gs.map((g) => [g.dataset.reader, { next: Number(g.dataset.next), held: Number(g.dataset.held) }])));

test('rabbit-stream: consumers at first and next read one log at different offsets', async () => {
  // Opened paused at 2 s of simulated time: audit joined at 1.5 s, retention has run.
  const { page, errors } = await suite.open('?preset=rabbit-stream&seed=1&t=2000000', { viewport: { width: 1440, height: 900 } });
  await page.waitForSelector('#rabbit svg g[data-queue="events"]');
  await page.click('#rabbit g[data-queue="events"]');
  await page.waitForSelector('#stream-log');
  // The log: retention has moved the first offset on by whole 20-message segments.
  const first = Number(await page.getAttribute('#stream-log', 'data-first'));
  const next = Number(await page.getAttribute('#stream-log', 'data-next'));
  assert.ok(first > 0 && first % 20 === 0, `first offset ${first}`);
  assert.ok(next > first, `next ${next}`);
  // Three readers (audit joined at 1.5 s), each at its own offset, none past the end.
  const r = await readers(page);
  assert.deepEqual(Object.keys(r).sort(), ['audit', 'live', 'replay']);
  for (const [name, { next: at, held }] of Object.entries(r)) {
    assert.ok(at <= next && at >= first, `${name} at ${at} in ${first}..${next}`);
    assert.ok(held <= 20, `${name} holds ${held}`);
  }
  // The inspector: first and last offsets, and a row per consumer.
  await page.waitForSelector('#stream-offsets');
  assert.equal(Number(await page.getAttribute('#stream-offsets', 'data-first')), first);
  assert.match(await text(page, '#stream-offsets'), new RegExp(`first offset ${first}, last offset ${next - 1}`));
  assert.equal(await page.locator('#stream-readers tr[data-reader]').count(), 3);
  assert.match(await text(page, '#queue-args'), /x-queue-type\s*stream/);
  await page.screenshot({ path: `${SHOTS}/49-rabbit-stream.png`, fullPage: true });
  await page.locator('#stream-log').screenshot({ path: `${SHOTS}/49-rabbit-stream-log.png` });

  const phone = await suite.open('?preset=rabbit-stream&seed=1&t=2000000', { viewport: { width: 390, height: 844 } });
  await phone.page.waitForSelector('#rabbit svg g[data-queue="events"]');
  await phone.page.click('#rabbit g[data-queue="events"]');
  await phone.page.waitForSelector('#stream-log');
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scroll at 390 px (${overflow} px)`);
  await phone.page.screenshot({ path: `${SHOTS}/49-rabbit-stream-phone.png`, fullPage: true });
  assert.deepEqual([...errors, ...phone.errors], []);
});
