// End-to-end test of saving and opening a run: stop a broker by click, save the run (a download),
// open the file in a fresh page through the file input and by a drop, and see the same trace
// hash at the same instant; a bad file is told in words and the run on screen stays.
// Screenshots under target/e2e/ — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();

/** Drops a file with `content` on the page, as a browser reports a drag from the desktop. */
async function dropFile(page, name, content) {
  await page.evaluate(([name, content]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([content], name, { type: 'application/json' }));
    document.body.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, [name, content]);
}

test('a saved run opens in a fresh page, by the file input or a drop, at the same instant and hash', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=5&speed=1');
  await untilSimSeconds(page, 1);
  await page.click('[data-node="b2"]');
  await page.click('#node-stop-start'); // stop broker b2
  await untilSimSeconds(page, 2.5);
  await page.click('#play'); // pause: the instant shown is what is saved
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-run')]);
  assert.match(download.suggestedFilename(), /^brokerlab-kafka-basic-seed5-.*\.json$/);
  // Under the name the page offered (Playwright keeps downloads under a random one).
  const path = `${SHOTS}/${download.suggestedFilename()}`;
  copyFileSync(await download.path(), path);
  const saved = JSON.parse(readFileSync(path, 'utf8'));
  const hash = await text(page, '#trace-hash');
  const time = await text(page, '#sim-time');
  assert.equal(saved.brokerlab_run, 1);
  assert.equal(saved.trace_hash, hash, 'the file holds the hash shown');
  assert.ok(saved.commands.some((c) => c.action === 'stop'), JSON.stringify(saved.commands));
  await page.screenshot({ path: `${SHOTS}/50-run-saved.png` });

  // A fresh page on another preset and seed; open the file through the input.
  const { page: fresh, errors: errors2 } = await suite.open('?preset=rabbit-basic&seed=9');
  await fresh.setInputFiles('#open-run', path);
  await fresh.waitForFunction((h) => document.querySelector('#trace-hash').textContent.trim() === h, hash);
  assert.equal(await text(fresh, '#sim-time'), time, 'paused at the instant saved');
  assert.equal(await text(fresh, '#seed-shown'), '5');
  assert.match(await text(fresh, '.notice'), /Opened a saved run: 1 action replayed, paused at .*, as saved\./);
  assert.equal(await fresh.inputValue('#preset'), 'kafka-basic');
  await fresh.screenshot({ path: `${SHOTS}/51-run-opened.png` });

  // A tampered file dropped on it: a message in words, and the run on screen stays.
  const tampered = readFileSync(path, 'utf8').replace('"brokerlab_run": 1', '"brokerlab_run": 3');
  await dropFile(fresh, 'tampered.json', tampered);
  await fresh.waitForSelector('text=saved by a newer brokerlab');
  assert.match(await text(fresh, '.notice:last-of-type'), /“tampered.json” was not opened: .*The run on screen is unchanged\./);
  assert.equal(await text(fresh, '#trace-hash'), hash);
  await fresh.setViewportSize({ width: 390, height: 844 });
  await fresh.screenshot({ path: `${SHOTS}/52-run-bad-file-phone.png`, fullPage: false });

  // The good file dropped on a third page.
  const { page: third, errors: errors3 } = await suite.open('?preset=relay-basic');
  await dropFile(third, 'run.json', readFileSync(path, 'utf8'));
  await third.waitForFunction((h) => document.querySelector('#trace-hash').textContent.trim() === h, hash);
  assert.equal(await text(third, '#sim-time'), time);
  await third.setViewportSize({ width: 1440, height: 900 });
  await third.screenshot({ path: `${SHOTS}/53-run-dropped.png` });
  assert.deepEqual([...errors, ...errors2, ...errors3], []);
});
