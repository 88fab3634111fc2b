// Lossy links as TCP connections: a link with loss says on its tooltip what loss means (late by
// TCP's retransmission, not dropped), in English and Korean; the producer-retries comparison shows
// reordering and duplicates from a request timeout shorter than TCP's retransmission timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, number, text } from './browser.mjs';

const suite = appSuite();
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

test('a lossy link says that loss delays messages, in English and Korean', async () => {
  const { page, errors } = await suite.open('?preset=lossy-network&seed=7&speed=1/1000', { viewport: DESKTOP });
  const title = await page.locator('[data-link] title').first().textContent();
  assert.match(title, /2% of transmissions lost: TCP sends each again after about 200 ms/, title);
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/lossy-1-link-desktop.png` });
  const ko = await suite.open('?preset=lossy-network&seed=7&speed=1/1000&lang=ko', { viewport: PHONE });
  const koTitle = await ko.page.locator('[data-link] title').first().textContent();
  assert.match(koTitle, /전송의 2%가 유실됨: TCP가 약 200 ms 뒤에 다시 보내고/, koTitle);
  await ko.page.screenshot({ path: `${SHOTS}/lossy-2-link-phone-ko.png` });
  assert.deepEqual([...errors, ...ko.errors], []);
});

test('the producer-retries story reorders and duplicates without idempotence', async () => {
  const { page, errors } = await suite.open('?compare&story=producer-retries&seed=1', { viewport: DESKTOP, ready: '#cmp-preset' });
  assert.match(await text(page, '#cmp-why'), /request\.timeout\.ms is 100 ms here/);
  await page.click('#cmp-finish');
  await page.waitForSelector('#cmp-done', { timeout: 60000 });
  const ooo = await number(page, '#cmp-kafka-ooo');
  const dup = await number(page, '#cmp-kafka-dup');
  assert.ok(ooo > 0 && dup > 0, `Kafka lane: ${ooo} out of order, ${dup} duplicates`);
  assert.equal(await number(page, '#cmp-kafka-lost'), 0);
  await page.screenshot({ path: `${SHOTS}/lossy-3-producer-retries.png` });
  const phone = await suite.open('?compare&story=producer-retries&seed=1', { viewport: PHONE, ready: '#cmp-preset' });
  await phone.page.screenshot({ path: `${SHOTS}/lossy-4-producer-retries-phone.png` });
  assert.deepEqual([...errors, ...phone.errors], []);
});
