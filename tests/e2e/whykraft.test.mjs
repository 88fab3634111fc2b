// End-to-end test of the "why KRaft" story on the comparison page (?compare): the runs go to
// their end with no console error, both charts and the table show both modes, and the findings
// name numbers from the runs. Screenshots under target/e2e/ at 1440×900 and 390×844 — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, text, SHOTS } from './browser.mjs';

const suite = appSuite();

test('why KRaft: both modes recover, charted against partitions', { timeout: 400000 }, async () => {
  const page = await suite.browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(suite.site.url + '?compare');
  await page.waitForSelector('#kraft-run');
  const started = Date.now();
  await page.click('#kraft-run');
  await page.waitForSelector('#kraft-progress');
  await page.waitForSelector('#kraft-done', { timeout: 360000 });
  const wall = (Date.now() - started) / 1000;
  console.log(`why KRaft: ${await text(page, '#kraft-done')} (${wall.toFixed(1)} s wall here)`);
  assert.deepEqual(errors, []);
  // Every run is in the table, in both modes.
  const rows = await page.$$eval('#kraft-table tbody tr', (trs) => trs.map((tr) => tr.dataset));
  assert.equal(rows.length, 16);
  for (const mode of ['ZooKeeper', 'Kraft']) {
    assert.equal(rows.filter((r) => r.mode === mode).length, 8, mode);
  }
  // ZooKeeper mode's controller failover: every lost leader back, later with more partitions.
  const cell = (mode, failure, p, col) =>
    text(page, `#kraft-table tr[data-mode="${mode}"][data-failure="${failure}"][data-partitions="${p}"] td:nth-child(${col})`);
  assert.notEqual(await cell('ZooKeeper', 'ControllerDies', 1000, 7), '—', 'leaders back');
  assert.notEqual(await cell('ZooKeeper', 'ControllerDies', 1000, 8), '—', 'the producer writes again');
  assert.equal(await cell('Kraft', 'ControllerDies', 1000, 4), '0', 'no partition lost its leader in KRaft');
  assert.match(await text(page, '#kraft-findings-1'), /ZooKeeper mode the cluster noticed after \d/);
  // Both charts are drawn (not blank).
  for (const id of ['#kraft-total', '#kraft-after']) {
    const inked = await page.$eval(id, (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 200 && d[i + 2] > 150) n++; // blue-ish (KRaft)
      let m = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 130 && d[i + 2] < 60) m++; // vermillion (ZooKeeper)
      return [n, m];
    });
    assert.ok(inked[0] > 50 && inked[1] > 50, `${id} shows both modes: ${inked}`);
  }
  await page.$eval('#why-kraft', (e) => e.scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/whykraft-1440.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.$eval('#kraft-total', (e) => e.scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/whykraft-390.png` });
});
