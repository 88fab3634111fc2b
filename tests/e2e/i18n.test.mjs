// Korean and English: the language comes from the link (`lang=ko`), is kept in this browser and
// in the address, and switching keeps the run; every lesson runs to its answer in both languages,
// at desktop and phone widths, with no console error and no sideways scroll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text } from './browser.mjs';

const suite = appSuite();
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const HANGUL = /[\uAC00-\uD7A3]/;
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test('the start page in Korean, and back to English', async () => {
  const { page, errors } = await suite.open('?lang=ko', { viewport: DESKTOP, ready: '#door-kafka' });
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.match(await text(page, '#door-kafka'), HANGUL);
  assert.match(await text(page, '#lessons h2'), HANGUL);
  await page.screenshot({ path: `${SHOTS}/i18n-1-landing-ko.png`, fullPage: true });
  // The choice is remembered: a link without `lang` opens in Korean in this browser.
  await page.goto(`${suite.site.url}?preset=kafka-basic&seed=1`);
  await page.waitForSelector('#trace-hash');
  assert.match(await text(page, '#play'), HANGUL);
  assert.match(page.url(), /lang=ko/, 'the address keeps the language');
  await page.click('#lang-en');
  await page.waitForURL((u) => !u.search.includes('lang='));
  await page.waitForSelector('#trace-hash');
  assert.match(await text(page, '#play'), /Play|Pause/);
  assert.deepEqual(errors, []);
});

test('switching language keeps the run: same trace hash at the same instant', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=4', { viewport: DESKTOP });
  await page.click('#step');
  await page.click('#step');
  await page.click('#step');
  const hash = await text(page, '#trace-hash');
  await page.click('#lang-ko');
  await page.waitForURL(/lang=ko/);
  await page.waitForFunction(() => /[\uAC00-\uD7A3]/.test(document.querySelector('#step')?.textContent ?? ''));
  assert.equal(await text(page, '#trace-hash'), hash);
  await page.screenshot({ path: `${SHOTS}/i18n-2-kafka-ko.png` });
  assert.deepEqual(errors, []);
});

test('a bad language in the link is a message, and the page opens', async () => {
  const { page, errors } = await suite.open('?preset=rabbit-basic&lang=xx', { viewport: DESKTOP });
  assert.match(await text(page, '.notice'), /language "xx" is not one of en, ko/);
  assert.deepEqual(errors, []);
});

test('every lesson in both languages, at desktop and phone widths', async () => {
  const start = await suite.open('?lang=en', { viewport: DESKTOP, ready: '#lessons' });
  const ids = await start.page.$$eval('#lessons li a', (as) => as.map((a) => new URL(a.href).searchParams.get('lesson')));
  assert.ok(ids.length >= 15, `${ids.length} lessons`);
  for (const [i, id] of ids.entries()) {
    // Each lesson once per language, the widths alternating so both meet both.
    for (const [lang, viewport] of [['en', i % 2 ? PHONE : DESKTOP], ['ko', i % 2 ? DESKTOP : PHONE]]) {
      const { page, errors } = await suite.open(`?lesson=${id}&lang=${lang}`, { viewport, ready: '#lesson' });
      const title = await text(page, '#lesson-title');
      if (lang === 'ko') {
        assert.match(title, HANGUL, `${id}: the title in Korean`);
        assert.match(await text(page, '.lesson-q'), HANGUL, `${id}: the question in Korean`);
      } else {
        assert.doesNotMatch(title, HANGUL, `${id}: the title in English`);
      }
      await page.click('#choice-0');
      if (await page.locator('#speed').count()) await page.selectOption('#speed', { index: (await page.locator('#speed option').count()) - 1 });
      await page.waitForSelector('#lesson-answer', { timeout: 90000 });
      if (lang === 'ko') assert.match(await text(page, '#lesson-why'), HANGUL, `${id}: why, in Korean`);
      assert.ok((await overflow(page)) <= 0, `${id} (${lang}, ${viewport.width} px): no sideways scroll`);
      await page.screenshot({ path: `${SHOTS}/i18n-lesson-${id}-${lang}-${viewport.width}.png` });
      assert.deepEqual(errors, [], `${id} (${lang})`);
      await page.close();
    }
  }
});
