// End-to-end test of the timeline: scrub back, forward to the same trace, jump to a marker, step
// back one event. Screenshot under target/e2e/ — look at it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, scrubTo, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();

const shownAt = (page) => page.evaluate(() => Number(new URLSearchParams(location.search).get('t')));

test('the timeline goes back and forth to the same trace, and jumps to markers', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=1&speed=1');
  await untilSimSeconds(page, 4);
  await page.click('#play'); // pause: the address keeps the instant shown
  await page.waitForFunction(() => new URLSearchParams(location.search).has('t'));
  const at = await shownAt(page);
  const hash = await text(page, '#trace-hash');
  assert.ok((await page.locator('.tl-ticks .tick.crash').count()) >= 1, 'the preset stops a broker: a crash marker');

  await scrubTo(page, 1000000);
  assert.notEqual(await text(page, '#trace-hash'), hash);
  await page.screenshot({ path: `${SHOTS}/40-timeline-back.png` });

  await scrubTo(page, at);
  assert.equal(await text(page, '#trace-hash'), hash, 'back at the same instant, the same trace');

  await scrubTo(page, 0);
  await page.click('#tl-next');
  const marker = await shownAt(page);
  assert.ok(marker > 0 && marker <= at, `jumped to the first marker at ${marker} µs`);
  const steps = Number(await text(page, '#tl-steps'));
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((n) => Number(document.querySelector('#tl-steps').textContent) === n - 1, steps);
  assert.ok((await shownAt(page)) <= marker, 'one event back');
  await page.screenshot({ path: `${SHOTS}/41-timeline-marker.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('a new random seed runs again with a seed the page shows and the link keeps', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-basic&seed=1');
  assert.equal(await text(page, '#seed-shown'), '1');
  await page.click('#new-seed');
  await page.waitForFunction(() => document.querySelector('#seed-shown').textContent.trim() !== '1');
  const seed = await text(page, '#seed-shown');
  assert.match(seed, /^\d+$/);
  assert.equal(await page.inputValue('#seed'), seed, 'the seed field shows it');
  await page.waitForFunction((s) => new URLSearchParams(location.search).get('seed') === s, seed);
  assert.deepEqual(errors, []);
});

test('a link from an applied configuration opens that configuration, at the same instant and trace', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=3&speed=1');
  await page.fill('#cfg-kafka-groups-0--consumers', '2');
  await page.click('#apply-config');
  await page.waitForFunction(() => new URLSearchParams(location.search).has('scenario'));
  await untilSimSeconds(page, 2);
  await page.click('#play');
  await page.waitForFunction(() => new URLSearchParams(location.search).has('t'));
  const hash = await text(page, '#trace-hash');
  const query = await page.evaluate(() => location.search);
  const { page: again, errors: errors2 } = await suite.open(query);
  assert.equal(await text(again, '#trace-hash'), hash, 'the same run at the same instant');
  assert.equal(await again.inputValue('#cfg-kafka-groups-0--consumers'), '2', 'the configuration came with the link');
  assert.equal(await again.locator('.notice').count(), 0);
  // A tampered scenario: said in words, and the preset opens.
  const { page: bad, errors: errors3 } = await suite.open('?preset=kafka-basic&scenario=eyJuYW1lIjoxfQ');
  assert.match(await text(bad, '.notice'), /scenario could not be read/);
  assert.equal(await bad.inputValue('#cfg-kafka-groups-0--consumers'), '1');
  assert.deepEqual([...errors, ...errors2, ...errors3], []);
});
