// End-to-end test of the RabbitMQ panel of the playground: the topology with live queue stacks,
// the inspectors, the routing calculator. Screenshots under target/e2e/ (40-…) — look at them.
// DIST=<dir> serves another build (default dist/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch, serveDist, openApp, SHOTS, text } from './browser.mjs';

let site;
let browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  site = await serveDist(process.env.DIST ?? 'dist');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  site?.close();
});

const attr = (page, sel, name) => page.getAttribute(sel, name).then(Number);
const routedTo = (page) => page.getAttribute('#route-result', 'data-queues');

test('rabbit-basic: queues fill and drain, dead letters arrive, the calculator routes', async () => {
  const { page, errors } = await openApp(browser, site.url, '?preset=rabbit-basic&seed=1&speed=1/10');
  await page.waitForSelector('#rabbit svg g[data-queue="billing"]');
  // Every column is drawn, with the binding keys on the edges.
  assert.equal(await page.locator('#rabbit g[data-exchange]').count(), 3);
  assert.equal(await page.locator('#rabbit g[data-queue]').count(), 5);
  assert.equal(await page.locator('#rabbit g[data-consumer]').count(), 3);
  // (each label's last child is its text; the first its full-text tooltip)
  const labels = await page.$$eval('#rabbit .rq-label.binding', (els) => els.map((e) => e.lastChild.textContent));
  assert.deepEqual(labels, ['order.#', 'order.*.paid', '*.eu.*', '(all)', '(all)']);
  // The help's glossary is RabbitMQ's own (no ISR or high watermark on a RabbitMQ page).
  await page.click('.help-btn');
  const terms = await page.$$eval('#help .glossary dt', (els) => els.map((e) => e.textContent));
  assert.ok(terms.includes('exchange') && terms.includes('prefetch') && !terms.includes('ISR'), terms.join(', '));
  await page.keyboard.press('Escape');

  // Counts move: something is delivered and unacked, then the biller's 10th rejection dead-letters.
  await page.waitForFunction(() => {
    const q = document.querySelector('#rabbit g[data-queue="billing"]');
    return q && Number(q.dataset.unacked) > 0;
  }, null, { timeout: 30000 });
  await page.screenshot({ path: `${SHOTS}/40-rabbit-running.png`, fullPage: true });
  // RabbitMQ's own charts replace Kafka's lag and replication charts.
  const charts = await page.locator('.chart-panel h2').allTextContents();
  assert.deepEqual(charts, ['Throughput', 'End-to-end latency', 'Queue depth', 'Acks and dead letters']);
  await page.waitForFunction(() => {
    const q = document.querySelector('#rabbit g[data-queue="dead-letters"]');
    return q && Number(q.dataset.ready) >= 1;
  }, null, { timeout: 60000 });
  // Pause, and be before the broker stops at 300 ms (the audit queue is transient): a loaded
  // machine may have played past it, so go back on the timeline to 250 ms (one dead letter in).
  await page.click('#play');
  await page.waitForFunction(() => new URLSearchParams(location.search).has('t'));
  const pausedAt = await page.evaluate(() => Number(new URLSearchParams(location.search).get('t')));
  if (pausedAt > 250000) {
    await page.$eval('#scrub', (el) => {
      el.value = '250000';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => new URLSearchParams(location.search).get('t') === '250000');
  }
  assert.match(await text(page, '#sim-time'), /ms$/);
  // The calculator starts with the publisher's first key.
  assert.equal(await routedTo(page), 'billing,audit');
  assert.ok((await attr(page, '#rabbit g[data-queue="lost-and-found"]', 'data-ready')) > 0, 'refund.eu via the alternate exchange');
  const biller = await attr(page, '#rabbit g[data-consumer="biller"]', 'data-unacked');
  assert.ok(biller <= 5, `prefetch 5 caps the biller's window (${biller})`);

  // Inspectors: the dead-letter queue's messages carry x-death; an exchange lists its bindings;
  // a consumer shows its window.
  await page.click('#rabbit g[data-queue="dead-letters"]');
  await page.waitForSelector('#queue-messages');
  assert.match(await text(page, '#queue-messages'), /rejected ×1 in billing/);
  assert.match(await text(page, '#queue-args'), /durable/);
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/41-rabbit-dead-letters.png` });
  await page.click('#rabbit g[data-queue="billing"]');
  await page.waitForFunction(() => /x-dead-letter-exchange/.test(document.querySelector('#queue-args')?.textContent ?? ''));
  await page.click('#rabbit g[data-exchange="orders"]');
  await page.waitForSelector('#exchange-bindings');
  assert.match(await text(page, '#exchange-bindings'), /queue shipping\s*order\.\*\.paid/);
  await page.click('#rabbit g[data-consumer="biller"]');
  await page.waitForSelector('#consumer-window');
  assert.match(await text(page, '#consumer-window'), /prefetch\s*5/);
  await page.click('#rabbit g[data-publisher="shop"]');
  await page.waitForSelector('#publisher-settings');
  assert.match(await text(page, '#publisher-settings'), /exchange\s*orders/);
  assert.match(await text(page, '#publisher-settings'), /routing keys, in turn\s*order\.eu\.created, order\.us\.paid, refund\.eu/);

  // The routing calculator: a matching key, a key only the alternate exchange takes, no match.
  await page.selectOption('#route-exchange', { label: 'orders' });
  await page.fill('#route-key', 'order.eu.paid');
  await page.waitForFunction(() => document.querySelector('#route-result')?.dataset.queues === 'billing,shipping,audit');
  assert.equal(await page.locator('#rabbit g.rq-q.routed').count(), 3, 'the reached queues are highlighted');
  await page.screenshot({ path: `${SHOTS}/42-rabbit-route-match.png`, fullPage: true });
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/44-rabbit-panel.png` });
  await page.fill('#route-key', 'refund.us');
  await page.waitForFunction(() => document.querySelector('#route-result')?.dataset.queues === 'lost-and-found');
  assert.match(await text(page, '#route-calc'), /alternate exchange/);
  await page.selectOption('#route-exchange', { label: '(default)' });
  await page.fill('#route-key', 'no-such-queue');
  await page.waitForFunction(() => document.querySelector('#route-result')?.dataset.queues === '');
  assert.match(await text(page, '#route-result'), /unroutable/);
  await page.screenshot({ path: `${SHOTS}/43-rabbit-route-none.png`, fullPage: true });
  await page.fill('#route-key', 'billing');
  assert.equal(await routedTo(page), 'billing', 'the default exchange routes by queue name');
  // Bad input: an inline message, no panic.
  await page.fill('#route-headers', '{not json');
  await page.waitForSelector('#route-error');
  assert.match(await text(page, '#route-error'), /^headers:/);
  await page.fill('#route-headers', '');
  await page.waitForSelector('#route-result');
  // Or test one binding of any exchange type, with the engine's own matching.
  await page.selectOption('#route-exchange', { label: 'type topic: test one binding' });
  await page.fill('#route-binding', 'order.*.paid');
  await page.fill('#route-key', 'order.eu.paid');
  await page.waitForFunction(() => document.querySelector('#binding-result')?.dataset.matched === 'true');
  await page.fill('#route-key', 'order.paid');
  await page.waitForFunction(() => document.querySelector('#binding-result')?.dataset.matched === 'false');
  await page.fill('#route-binding', '#.#.#');
  await page.waitForSelector('#route-error');
  assert.match(await text(page, '#route-error'), /at most 2/);
  await page.selectOption('#route-exchange', { label: 'type headers: test one binding' });
  await page.fill('#route-binding', '{"x-match": "any", "format": "pdf"}');
  await page.fill('#route-headers', '{"format": "pdf"}');
  await page.waitForFunction(() => document.querySelector('#binding-result')?.dataset.matched === 'true');
  await page.locator('#route-calc').screenshot({ path: `${SHOTS}/45-rabbit-binding-test.png` });

  // The broker stops at 300 ms and is back at 400 ms: the panel says so; the transient audit queue
  // is gone until its consumer declares it again.
  await page.click('#play');
  await page.waitForFunction(() => /stopped/.test(document.querySelector('#rabbit h2')?.textContent ?? ''), null, { timeout: 30000 });
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/46-rabbit-broker-stopped.png` });
  await page.waitForFunction(() => !/stopped/.test(document.querySelector('#rabbit h2')?.textContent ?? ''), null, { timeout: 30000 });
  await page.waitForSelector('#rabbit g.rq-q.gone[data-queue="audit"]', { timeout: 10000 });
  await page.waitForSelector('#rabbit g.rq-q:not(.gone)[data-queue="audit"]', { timeout: 30000 });
  await page.click('#play');
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/47-rabbit-after-restart.png` });
  assert.deepEqual(errors, []);
});

test('rabbit-by-hand: the learner acks, nacks and rejects; TTL and overflow dead-letter', async () => {
  const { page, errors } = await openApp(browser, site.url, '?preset=rabbit-by-hand&seed=1&speed=1/10');
  await page.waitForSelector('#rabbit g[data-consumer="you"]');
  // "you" holds every delivery: its window fills to the prefetch of 3 and stays there.
  await page.waitForFunction(() => document.querySelector('#rabbit g[data-consumer="you"]')?.dataset.unacked === '3', null, { timeout: 30000 });
  await page.click('#play'); // pause to click with care
  // "you" is inspected from the start: its held deliveries and their buttons.
  await page.waitForSelector('#consumer-held');
  assert.equal(await page.locator('#consumer-held button.ack').count(), 3);
  assert.equal(await page.locator('#consumer-held button.nack-multiple').count(), 3, 'basic.nack with multiple too');
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/48-rabbit-held.png` });
  // nack with requeue (the switch's default) the first: back to the head of inbox, redelivered.
  assert.equal(await page.isChecked('#settle-requeue'), true);
  await page.click('#consumer-held button.nack[data-tag="1"]');
  await page.click('#play');
  await page.waitForFunction(() => /redelivered/.test(document.querySelector('#consumer-held')?.textContent ?? ''), null, { timeout: 30000 });
  await page.click('#play');
  // reject without requeue: dead-lettered (inbox has a DLX) into dead-letters, with x-death.
  await page.uncheck('#settle-requeue');
  assert.match(await page.getAttribute('#consumer-held button.reject', 'title'), /no requeue: dead-lettered/);
  const tag = await page.getAttribute('#consumer-held tr:nth-child(2) button.reject', 'data-tag');
  await page.click(`#consumer-held button.reject[data-tag="${tag}"]`);
  // ack the rest at once (basic.ack multiple).
  const last = await page.getAttribute('#consumer-held tr:last-child button.ack-multiple', 'data-tag');
  await page.click(`#consumer-held button.ack-multiple[data-tag="${last}"]`);
  await page.click('#play');
  // The queue inspector settles too, and the TTL queue and the overflow queues dead-letter.
  await page.click('#rabbit g[data-queue="dead-letters"]');
  await page.waitForFunction(() => /rejected ×1 in inbox/.test(document.querySelector('#queue-messages')?.textContent ?? ''), null, { timeout: 30000 });
  await page.waitForFunction(() => /expired ×1 in expiring/.test(document.querySelector('#queue-messages')?.textContent ?? ''), null, { timeout: 30000 });
  await page.waitForFunction(() => /maxlen ×1 in drop-head/.test(document.querySelector('#queue-messages')?.textContent ?? ''), null, { timeout: 60000 });
  assert.equal(await attr(page, '#rabbit g[data-queue="reject-publish"]', 'data-ready'), 5, 'the full queue refused the rest');
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/49-rabbit-by-hand.png` });
  // Kill the consumer: its unacked messages go back to inbox, ready.
  await page.click('#rabbit g[data-consumer="you"]');
  await page.click('#consumer-toggle');
  await page.waitForFunction(() => document.querySelector('#rabbit g[data-queue="inbox"]')?.dataset.unacked === '0', null, { timeout: 30000 });
  assert.match(await text(page, '#consumer-toggle'), /Restart consumer/);
  // Stop and start the broker from the panel.
  await page.click('#broker-toggle');
  await page.waitForFunction(() => /stopped/.test(document.querySelector('#rabbit h2')?.textContent ?? ''));
  await page.click('#broker-toggle');
  await page.waitForFunction(() => !/stopped/.test(document.querySelector('#rabbit h2 .sub')?.textContent ?? ''));
  assert.deepEqual(errors, []);
});

test('topology editor: add an exchange, a queue with arguments and bindings; errors stay at their row', async () => {
  const { page, errors } = await openApp(browser, site.url, '?preset=rabbit-basic&seed=1&speed=1/10');
  await page.waitForSelector('#rabbit svg g[data-queue="billing"]');
  await page.click('#topology-editor summary');
  // What is in use cannot be removed: orders (the shop publishes to it), billing (the biller).
  assert.equal(await page.locator('#edit-exchanges tr[data-exchange-row="orders"] button.remove').isDisabled(), true);
  assert.equal(await page.locator('#edit-queues tr[data-queue-row="billing"] button.remove').isDisabled(), true);
  // A 200-character queue name is clipped in its row (the whole name in its tooltip): the table
  // keeps its width and the page does not scroll sideways.
  const long = `q${'x'.repeat(199)}`;
  await page.fill('#new-queue-name', long);
  await page.click('#add-queue');
  const cell = page.locator(`#edit-queues tr[data-queue-row="${long}"] td.name`);
  assert.equal(await cell.getAttribute('title'), long);
  assert.ok((await cell.evaluate((td) => td.getBoundingClientRect().width)) < 320, 'the long name is clipped');
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'no sideways scroll');
  await page.click(`#edit-queues tr[data-queue-row="${long}"] button.remove`);
  await page.waitForSelector(`#edit-queues tr[data-queue-row="${long}"]`, { state: 'detached' });
  // A queue with a bad argument: the row says what is wrong, Apply is off, the text stays.
  await page.fill('#new-queue-name', 'slow');
  await page.click('#rabbit .chips button:has-text("x-message-ttl")');
  await page.click('#rabbit .chips button:has-text("x-overflow")');
  assert.equal(await page.inputValue('#new-queue-args'), '{"x-message-ttl": 5000, "x-overflow": "reject-publish"}');
  await page.fill('#new-queue-args', '{"x-message-ttl": 5000, "x-overflow": "drop-tail"}');
  await page.click('#add-queue');
  await page.waitForSelector('#edit-queues tr.invalid[data-queue-row="slow"]');
  assert.match(await text(page, '#edit-queues .rq-edit-error'), /x-overflow: "drop-tail" is not drop-head/);
  assert.equal(await page.locator('#apply-topology').isDisabled(), true);
  await page.fill('#edit-queues tr[data-queue-row="slow"] input.args', '{"x-message-ttl": 5000, "x-dead-letter-exchange": "dlx"}');
  await page.waitForFunction(() => !document.querySelector('#edit-queues tr.invalid'));
  // A fanout exchange, bound to orders (exchange-to-exchange) and to the new queue.
  await page.fill('#new-exchange-name', 'copies');
  await page.selectOption('#new-exchange-type', 'fanout');
  await page.click('#add-exchange');
  await page.selectOption('#new-binding-source', 'orders');
  await page.selectOption('#new-binding-dest', 'exchange:copies');
  await page.fill('#new-binding-key', 'order.#');
  await page.click('#add-binding');
  await page.selectOption('#new-binding-source', 'copies');
  await page.selectOption('#new-binding-dest', 'queue:slow');
  await page.fill('#new-binding-key', '');
  await page.click('#add-binding');
  // A second consumer on billing that holds its deliveries, prefetch 2 (a bad value first).
  await page.fill('#new-consumer-id', 'biller');
  await page.selectOption('#new-consumer-queue', 'billing');
  await page.click('#add-consumer');
  assert.match(await text(page, '#client-error'), /"biller" is already a client/);
  await page.fill('#new-consumer-id', 'helper');
  await page.click('#add-consumer');
  await page.selectOption('#edit-consumers tr[data-consumer-row="helper"] select.mode', 'hold');
  await page.fill('#edit-consumers tr[data-consumer-row="helper"] input.prefetch', 'two');
  await page.waitForSelector('#edit-consumers tr.invalid[data-consumer-row="helper"]');
  assert.match(await text(page, '#edit-consumers .rq-edit-error'), /prefetch: `two` is not a whole number/);
  await page.fill('#edit-consumers tr[data-consumer-row="helper"] input.prefetch', '2');
  await page.waitForFunction(() => !document.querySelector('#edit-consumers tr.invalid'));
  await page.locator('#topology-editor').screenshot({ path: `${SHOTS}/50-rabbit-topology-editor.png` });
  await page.click('#apply-topology');
  // The run restarts with it: the new exchange and queue are drawn, messages reach slow via copies.
  await page.waitForSelector('#rabbit g[data-exchange="copies"]');
  await page.waitForFunction(() => Number(document.querySelector('#rabbit g[data-queue="slow"]')?.dataset.ready) > 0, null, { timeout: 30000 });
  assert.match(await page.inputValue('#scenario-json'), /"name": "copies"/);
  // The helper holds what it gets: its window fills to 2 and stays.
  await page.waitForFunction(() => document.querySelector('#rabbit g[data-consumer="helper"]')?.dataset.unacked === '2', null, { timeout: 30000 });
  await page.selectOption('#route-exchange', { label: 'orders' });
  await page.fill('#route-key', 'order.eu.created');
  await page.waitForFunction(() => document.querySelector('#route-result')?.dataset.queues === 'billing,audit,slow');
  assert.match(await text(page, '#route-calc'), /exchange copies/);
  await page.locator('#rabbit').screenshot({ path: `${SHOTS}/51-rabbit-edited.png` });
  assert.deepEqual(errors, []);
});

test('messages move along their routes: through the exchanges, to consumers, to dead letters', async () => {
  const { page, errors } = await openApp(browser, site.url, '?preset=rabbit-basic&seed=1&speed=1/100');
  await page.waitForSelector('#rabbit canvas.rq-flow');
  // The colours on the canvas over the drawing: routed (blue), delivered (green), dead-lettered
  // (vermilion), each seen at some frame.
  const seen = await page.evaluate(() => new Promise((resolve) => {
    const want = { routed: [0, 114, 178], delivered: [0, 158, 115], deadLettered: [213, 94, 0] };
    const found = {};
    const t0 = performance.now();
    const look = () => {
      const c = document.querySelector('#rabbit canvas.rq-flow');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] < 250) continue;
        for (const [k, [r, g, b]] of Object.entries(want)) {
          if (Math.abs(px[i] - r) < 3 && Math.abs(px[i + 1] - g) < 3 && Math.abs(px[i + 2] - b) < 3) found[k] = true;
        }
      }
      if (Object.keys(found).length === 3 || performance.now() - t0 > 60000) resolve(found);
      else requestAnimationFrame(look);
    };
    look();
  }));
  assert.deepEqual(seen, { routed: true, delivered: true, deadLettered: true });
  await page.locator('#rabbit .rq-stage').screenshot({ path: `${SHOTS}/52-rabbit-messages-moving.png` });
  assert.deepEqual(errors, []);
});

/** Clicks "Next step" until the walkthrough is done; returns the step titles seen. */
async function walkToTheEnd(page, shots = {}) {
  const titles = [];
  for (let i = 0; i < 15 && !(await page.isVisible('#walk-done')); i++) {
    await page.waitForSelector('#walk-next', { timeout: 60000 });
    if (await page.isVisible('#walk-done')) break;
    titles.push(await text(page, '#walk-title'));
    if (titles.length === 2) titles.at = await text(page, '.walk-time');
    if (shots[titles.length]) await page.screenshot({ path: `${SHOTS}/${shots[titles.length]}`, fullPage: true });
    await page.click('#walk-next');
  }
  return titles;
}

test('step through RabbitMQ\'s flow: publish, route, deliver, ack, confirm; then with the consumer killed', async () => {
  const { page, errors } = await openApp(browser, site.url, '?preset=rabbit-basic&seed=1');
  assert.match(await text(page, '.walk-start'), /Step through RabbitMQ's flow/);
  await page.click('#walk-start');
  const titles = await walkToTheEnd(page, { 3: '53-rabbit-walk-routed.png' });
  assert.equal(titles[0], 'The broker is ready');
  // The first message after the consumers registered: the shop's first, at 10 ms.
  assert.equal(titles[1], 'shop publishes message 0 to exchange orders');
  assert.equal(titles.at, 't = 10ms');
  assert.equal(titles[2], 'Routed to billing, audit');
  assert.equal(titles[3], 'billing delivers it to biller');
  assert.ok(titles.includes('biller acks it') && titles.includes('shop gets its confirm'), titles.join(' | '));
  assert.match(await text(page, '#walk-done'), /whole journey/);
  await page.click('#walk-next'); // close
  await page.click('#walk-start-kill');
  const killed = await walkToTheEnd(page, { 7: '54-rabbit-walk-requeued.png' });
  for (const t of ['biller crashes before it acks', 'The broker requeues it in billing', 'Delivered again to biller, flagged redelivered', 'biller acks it']) {
    assert.ok(killed.includes(t), `${t} in: ${killed.join(' | ')}`);
  }
  assert.deepEqual(errors, []);
});

test('one screen: the narration and the exchange → binding → queue drawing it talks about are seen together', async () => {
  const { page, errors } = await openApp(browser, site.url, '?preset=rabbit-basic&seed=1', { viewport: { width: 1440, height: 900 } });
  await page.waitForSelector('#rabbit svg g[data-queue="billing"]');
  await page.click('#walk-start');
  await page.waitForSelector('#walk-next');
  const box = async (sel) => page.locator(sel).first().boundingBox();
  const card = await box('#walk-title');
  const queue = await box('#rabbit g[data-queue="billing"]');
  assert.ok(card.y >= 0 && card.y + card.height <= 900, `the narration is on screen (${card.y})`);
  assert.ok(queue.y + queue.height <= 900, `the queues are on screen with it (${queue.y})`);
  await page.screenshot({ path: `${SHOTS}/47-rabbit-one-screen.png` });
  const phone = await openApp(browser, site.url, '?preset=rabbit-basic&seed=1', { viewport: { width: 390, height: 844 } });
  await phone.page.waitForSelector('#rabbit svg g[data-queue="billing"]');
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scroll at 390 px (${overflow} px): the drawing scrolls inside its panel`);
  await phone.page.screenshot({ path: `${SHOTS}/48-rabbit-phone.png`, fullPage: true });
  assert.deepEqual([...errors, ...phone.errors], []);
});
