// End-to-end tests of operating Kafka (issue 16): static members restarting without a rebalance
// (preset kafka-static), and a broker stopped cleanly from its inspector (controlled shutdown), in
// ZooKeeper mode and in KRaft mode (through its heartbeat, KIP-631).
// Screenshots under target/e2e/ (ops-…) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, SHOTS, text, untilSimSeconds } from './browser.mjs';

const suite = appSuite();
const logHas = (page, re, timeout = 90000) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#log')?.textContent ?? ''), re.source, {
    timeout,
    polling: 50,
  });

test('kafka-static: the static member rejoins in the same generation, the dynamic group rebalances', async () => {
  const { page, errors } = await suite.open('?preset=kafka-static&seed=1&speed=10');
  await logHas(page, /static member s2 rejoined static-service: same assignment, still generation 1, no rebalance/);
  await logHas(page, /group dynamic-service on coordinator b\d: PreparingRebalance \(generation 1, 4 members\)/);
  await page.screenshot({ path: `${SHOTS}/ops-1-static-rejoined.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/ops-2-static-phone.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('a broker stopped cleanly hands its leaderships over before it stops', async () => {
  const { page, errors } = await suite.open('?preset=kafka-basic&seed=1&speed=10');
  await untilSimSeconds(page, 1);
  await page.click('#play'); // pause
  await page.click('[data-node="b2"]');
  assert.match(await text(page, '#node-clean-stop'), /Stop cleanly \(controlled shutdown\)/);
  await page.screenshot({ path: `${SHOTS}/ops-3-clean-stop-button.png` });
  await page.click('#node-clean-stop');
  await page.click('#play');
  await logHas(page, /b2 shuts down cleanly/);
  await page.waitForSelector('[data-node="b2"].down', { timeout: 60000 });
  // The controller moved b2's leaderships before b2 stopped: no partition went offline.
  assert.doesNotMatch(await page.textContent('#log'), /has no eligible leader/);
  await page.screenshot({ path: `${SHOTS}/ops-4-clean-stopped.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('KRaft: a broker stopped cleanly goes through its heartbeat (wantShutDown), and the controller lets it go', async () => {
  const { page, errors } = await suite.open('?preset=kafka-kraft&seed=1&speed=10');
  await untilSimSeconds(page, 1.5);
  await page.click('#play'); // pause
  await page.click('[data-node="b2"]');
  assert.match(await text(page, '#node-clean-stop'), /Stop cleanly \(controlled shutdown\)/);
  await page.click('#node-clean-stop');
  await page.click('#play');
  await logHas(page, /b2 shuts down cleanly/).catch(async (e) => {
    await page.screenshot({ path: `${SHOTS}/ops-5-kraft-failed.png`, fullPage: true });
    throw e;
  });
  // b2 leads partitions: it is put in controlled shutdown, its leaderships move, then it is let go.
  await logHas(page, /controller puts b2 in controlled shutdown/);
  await logHas(page, /controller lets b2 shut down: it leads nothing more/);
  await page.waitForSelector('[data-node="b2"].down', { timeout: 60000 });
  const log = await page.textContent('#log');
  assert.doesNotMatch(log, /controller fences b2: no heartbeat/, 'let go, not fenced by its session timeout');
  await page.screenshot({ path: `${SHOTS}/ops-5-kraft-clean-stopped.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/ops-6-kraft-clean-stopped-phone.png`, fullPage: true });
  assert.deepEqual(errors, []);
});
