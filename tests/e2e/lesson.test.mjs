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
