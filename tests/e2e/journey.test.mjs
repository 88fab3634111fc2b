// End-to-end tests of a message's journey as a sequence diagram: from the partition log and the
// event log on a Kafka preset, from the event log on a RabbitMQ preset, and a comparison's
// violation (its two messages side by side); on a phone, the diagram scrolls inside its box and
// the page never sideways. Screenshots under target/e2e/ — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS } from './browser.mjs';

const suite = appSuite();

/** The journey box's words, and how many steps it draws. */
async function journey(page) {
  await page.waitForSelector('#journey .journey-svg');
  return {
    text: await page.textContent('#journey'),
    steps: await page.locator('#journey .journey-svg .js').count(),
  };
}

/** The page does not scroll sideways. */
async function noSidewaysScroll(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `page ${scroll} px wide in a ${width} px window`);
}

test('a Kafka record from the partition log and from the event log', async () => {
  // kafka-basic stops b1 at 3 s; at 6 s the others lead, paused there.
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=1&t=6000000', { viewport: { width: 1440, height: 900 } });
  await page.waitForSelector('#partition-log .pl-strip.leader');
  // A committed record (below the HW) of the leader's strip.
  await page.locator('#partition-log .pl-strip.leader .pl-cell:not(.above-hw)').last().click();
  const j = await journey(page);
  for (const step of ['Produce record', 'appends it at offset', 'HW →', 'ack: offset']) {
    assert.ok(j.text.includes(step), `the diagram has "${step}": ${j.text}`);
  }
  assert.ok(j.steps >= 5, `${j.steps} steps`);
  assert.ok(await page.locator('#journey .jl-role', { hasText: 'producer' }).count() >= 1);
  assert.ok(await page.locator('#journey .jl-role', { hasText: 'broker' }).count() >= 1);
  await page.screenshot({ path: `${SHOTS}/60-journey-kafka.png` });
  await page.keyboard.press('Escape');
  await page.waitForSelector('#journey', { state: 'detached' });

  await page.fill('.log-filter', 'produce-acked');
  await page.locator('#log .log-line .log-journey').last().click();
  const k = await journey(page);
  assert.ok(k.text.includes('Produce record') && k.text.includes('ack: offset'), k.text);
  assert.deepEqual(errors, []);
});

test('a RabbitMQ message from the event log, dead-lettered', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-basic&seed=1&t=2000000', { viewport: { width: 1440, height: 900 } });
  // billing's consumer rejects some messages into the dead-letter exchange: find one.
  await page.fill('.log-filter', 'biller processed');
  const buttons = page.locator('#log .log-line .log-journey');
  const n = await buttons.count();
  assert.ok(n > 0, 'biller processed messages');
  let found = null;
  for (let i = n - 1; i >= Math.max(0, n - 15) && !found; i--) {
    await buttons.nth(i).click();
    const j = await journey(page);
    assert.ok(j.text.includes('basic.publish') && j.text.includes('basic.deliver'), j.text);
    if (j.text.includes('dead-letter exchange')) found = j;
    else {
      await page.click('.journey-close');
      await page.waitForSelector('#journey', { state: 'detached' });
    }
  }
  assert.ok(found, 'one of the last messages biller processed was dead-lettered');
  assert.ok(found.text.includes('confirm: basic.ack'), found.text);
  await page.screenshot({ path: `${SHOTS}/61-journey-rabbit.png` });
  assert.deepEqual(errors, []);
});

test('a comparison violation: the two messages side by side', async () => {
  const { page, errors } = await suite.open('?compare&story=competing-consumers&seed=1', { viewport: { width: 1440, height: 900 }, ready: '#cmp-preset' });
  await page.click('#cmp-finish');
  await page.waitForSelector('#cmp-done', { timeout: 60000 });
  await page.click('#cmp-rabbit-journey');
  await page.waitForSelector('#journey .journey-svg');
  assert.equal(await page.locator('#journey .journey-one').count(), 2, 'two diagrams');
  const text = await page.textContent('#journey');
  assert.ok(text.includes('processed') && text.includes('basic.deliver'), text);
  await page.screenshot({ path: `${SHOTS}/62-journey-violation.png` });
  await page.click('.journey-close');
  // A chip opens its own message's journey.
  await page.locator('#cmp-lane-kafka .chip').first().click();
  await page.waitForSelector('#journey .journey-svg');
  assert.ok((await page.textContent('#journey')).includes('Produce record'));
  assert.deepEqual(errors, []);
});

test('on a phone the diagram scrolls inside its box, not the page', async () => {
  const phone = { width: 390, height: 844 };
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=1&t=6000000', { viewport: phone });
  await page.waitForSelector('#partition-log .pl-strip.leader');
  await page.locator('#partition-log .pl-strip.leader .pl-cell:not(.above-hw)').last().click();
  await journey(page);
  await noSidewaysScroll(page);
  const box = await page.locator('#journey').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= phone.width, `box ${JSON.stringify(box)}`);
  await page.screenshot({ path: `${SHOTS}/63-journey-phone.png` });

  const cmp = await suite.open('?compare&story=competing-consumers&seed=1', { viewport: phone, ready: '#cmp-preset' });
  await cmp.page.click('#cmp-finish');
  await cmp.page.waitForSelector('#cmp-done', { timeout: 60000 });
  await cmp.page.click('#cmp-rabbit-journey');
  await cmp.page.waitForSelector('#journey .journey-svg');
  await noSidewaysScroll(cmp.page);
  await cmp.page.screenshot({ path: `${SHOTS}/64-journey-violation-phone.png` });
  assert.deepEqual([...errors, ...cmp.errors], []);
});

test("the walkthrough's record on the same diagram: the leader killed mid-flow, the retry", async () => {
  const { page, errors } = await suite.open('?preset=kafka-groups&seed=1', { viewport: { width: 1440, height: 900 } });
  await page.click('#walk-start-kill');
  for (let i = 0; i < 15 && !(await page.isVisible('#walk-done')); i++) {
    await page.waitForSelector('#walk-next', { timeout: 60000 });
    if (await page.isVisible('#walk-done')) break;
    await page.click('#walk-next');
  }
  await page.waitForSelector('#walk-done', { timeout: 60000 });
  await page.click('#walk-journey');
  const j = await journey(page);
  for (const step of ['Produce record', 'appends it', 'stopped (crash)', '(retry)', 'ack: offset', 'OffsetCommit']) {
    assert.ok(j.text.includes(step), `the diagram has "${step}": ${j.text}`);
  }
  await page.screenshot({ path: `${SHOTS}/65-journey-walk-kill.png` });
  assert.deepEqual(errors, []);
});
