// Lessons: the start page lists them; a lesson asks before it runs, plays to its end when the
// learner predicts, then shows the run's answer (measured by the engine), why, and the "try
// this" variations; progress is kept in the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text } from './browser.mjs';

const suite = appSuite();

const openLesson = (query, viewport = { width: 1440, height: 900 }) => suite.open(query, { viewport, ready: '#lesson' });

test('a lesson asks first, runs on a prediction, and answers from the run', async () => {
  const { page, errors } = await openLesson('?lesson=rabbit-routing');
  assert.match(await text(page, '#lesson-count'), /lesson 2 of \d+ · RabbitMQ/);
  assert.match(await text(page, '#lesson-status'), /Pick an answer/);
  assert.match(await text(page, '#play'), /Play/, 'paused until a prediction is made');
  await page.screenshot({ path: `${SHOTS}/lesson-1-ask.png` });
  // Predict "Two" (wrong: the run makes it three), then watch at a faster speed.
  await page.click('#choice-2');
  assert.match(await text(page, '#play'), /Pause/, 'the prediction starts the run');
  await page.selectOption('#speed', { label: '×1' });
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-fact'), /copies enqueued per message the broker received = 3\./);
  assert.match(await text(page, '#lesson-verdict'), /Not what you predicted: the run says “Three”/);
  assert.match(await text(page, '#lesson-why'), /order\.#/);
  assert.ok(await page.isVisible('#choice-3.answer'));
  await page.screenshot({ path: `${SHOTS}/lesson-2-answer.png`, fullPage: true });
  // A variation asks again on the changed scenario; the link keeps it.
  await page.click('#try-1');
  await page.waitForSelector('#lesson-variation');
  assert.match(page.url(), /\?lesson=rabbit-routing&try=2$/);
  await page.click('#choice-0');
  await page.selectOption('#speed', { label: '×1' });
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-verdict'), /You predicted it/);
  // Progress is kept: the start page marks the lesson finished.
  await page.goto(suite.site.url);
  await page.waitForSelector('#lessons');
  assert.match(await text(page, '#lessons'), /1 of \d+ done/);
  assert.equal(await page.locator('#lessons li.done').count(), 1);
  await page.screenshot({ path: `${SHOTS}/lesson-3-path.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('a Kafka lesson on a phone, and bad lesson links', async () => {
  const { page, errors } = await openLesson('?lesson=kafka-session-timeout', { width: 390, height: 844 });
  await page.click('#choice-2');
  await page.selectOption('#speed', { label: '×10' });
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-verdict'), /You predicted it/);
  assert.match(await text(page, '#lesson-why'), /session\.timeout\.ms/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: `${SHOTS}/lesson-4-phone.png` });
  assert.ok(overflow <= 0, `no sideways scroll at 390 px (${overflow} px)`);
  assert.deepEqual(errors, []);
  const bad = await openLesson('?lesson=nope&try=99');
  assert.match(await text(bad.page, '.notice'), /lesson "nope" does not exist; showing the first lesson/);
  assert.match(await text(bad.page, '#lesson-count'), /lesson 1 of/);
  assert.deepEqual(bad.errors, []);
});

test('a comparison lesson asks first, runs both lanes, and answers from them', async () => {
  const { page, errors } = await openLesson('?lesson=compare-ordering');
  assert.match(await text(page, '#lesson-count'), /lesson \d+ of \d+ · Kafka and RabbitMQ compared/);
  assert.equal(await page.locator('#cmp-why').count(), 0, "the story's explanation waits for the answer");
  assert.ok(await page.isDisabled('#cmp-finish'), 'no running to the end before predicting');
  assert.match(await text(page, '#cmp-kafka-processed'), /^0 of 80$/, 'the lanes wait for a prediction');
  await page.screenshot({ path: `${SHOTS}/lesson-5-compare-ask.png` });
  await page.click('#choice-2');
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-fact'), /lanes that processed an order out of order .* = 2\./);
  assert.match(await text(page, '#lesson-verdict'), /You predicted it/);
  assert.match(await text(page, '#cmp-rabbit-ooo'), /^[1-9]\d*$/);
  assert.match(await text(page, '#cmp-kafka-ooo'), /^0$/);
  assert.ok(await page.isVisible('#cmp-why'));
  assert.match(page.url(), /\?lesson=compare-ordering&seed=1$/);
  await page.screenshot({ path: `${SHOTS}/lesson-6-compare-answer.png`, fullPage: true });
  // x-single-active-consumer: asked again, and the run says neither reorders.
  await page.click('#try-0');
  await page.waitForSelector('#lesson-variation');
  assert.match(page.url(), /\?lesson=compare-ordering&try=1&seed=1$/);
  await page.click('#choice-0');
  await page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(page, '#lesson-verdict'), /You predicted it/);
  assert.deepEqual(errors, []);
  const phone = await openLesson('?lesson=compare-crash&seed=2', { width: 390, height: 844 });
  await phone.page.click('#choice-1');
  await phone.page.waitForSelector('#lesson-answer', { timeout: 60000 });
  assert.match(await text(phone.page, '#lesson-verdict'), /You predicted it/);
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await phone.page.screenshot({ path: `${SHOTS}/lesson-7-compare-phone.png` });
  assert.ok(overflow <= 0, `no sideways scroll at 390 px (${overflow} px)`);
  assert.deepEqual(phone.errors, []);
});

test('on a phone, tapping a node brings its inspector into view', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=1', { viewport: { width: 390, height: 844 } });
  await page.click('#play'); // paused: nothing re-lays the page out under the tap
  await page.locator('[data-node="b2"]').click();
  await page.waitForSelector('#inspector');
  await page.waitForFunction(() => {
    const r = document.querySelector('#inspector')?.getBoundingClientRect();
    // (scrolled to its top: a fraction of a pixel above 0 is in view too)
    return r && r.top >= -1 && r.top < window.innerHeight;
  }, null, { timeout: 20000 });
  assert.match(await text(page, '#inspector h2'), /b2/);
  await page.screenshot({ path: `${SHOTS}/lesson-8-phone-inspector.png` });
  assert.deepEqual(errors, []);
});
