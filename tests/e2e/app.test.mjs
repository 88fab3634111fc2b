// End-to-end tests of the built app (dist/) in headless Chromium, run by `make test` through
// node's test runner. Each test saves a screenshot under target/e2e/ — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, openApp, SHOTS, scrubTo, text, number, untilSimSeconds } from './browser.mjs';

const suite = appSuite();
const open = (query) => suite.open(query);

test('the app opens and runs a live simulation', async () => {
  const { page, errors } = await open('?preset=relay-basic&seed=1&speed=1/100');
  const e0 = await number(page, '#event-count');
  const t0 = await text(page, '#sim-time');
  await page.waitForTimeout(1500);
  const e1 = await number(page, '#event-count');
  assert.ok(e1 > e0, `events should grow while playing (${e0} -> ${e1})`);
  assert.notEqual(await text(page, '#sim-time'), t0, 'simulated time should advance');
  assert.equal(await text(page, '#seed-shown'), '1');
  assert.match(await text(page, '#trace-hash'), /^[0-9a-f]{16}$/);
  assert.equal(await page.locator('[data-node]').count(), 5, 'five nodes on the stage');
  assert.ok(await number(page, '#published') > 0, 'producers published');
  // Messages are drawn in flight: within a few seconds some canvas pixels are not transparent
  // (between two publishes the air can be empty, so poll rather than sample once). Pause at that
  // moment so the screenshot shows them.
  await page.waitForFunction(() => {
    const c = document.querySelector('canvas.flights');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) {
      if (d[i] > 0) {
        document.querySelector('#play').click();
        return true;
      }
    }
    return false;
  }, null, { timeout: 5000, polling: 50 });
  await page.waitForTimeout(150);
  assert.match(await text(page, '#play'), /Play/, 'paused');
  await page.screenshot({ path: `${SHOTS}/01-live.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('pause, step and reset are deterministic', async () => {
  const { page, errors } = await open('?preset=lossy-network&seed=9&speed=1/1000');
  await page.click('#play'); // pause
  await page.click('#reset');
  const steps = async (n) => {
    for (let i = 0; i < n; i++) await page.click('#step');
    return [await text(page, '#trace-hash'), await number(page, '#event-count')];
  };
  const first = await steps(25);
  await page.click('#reset');
  const second = await steps(25);
  assert.deepEqual(second, first, 'same seed, same steps: same trace');
  await page.keyboard.press('r');
  await page.keyboard.press('ArrowRight');
  const afterKey = await number(page, '#event-count');
  assert.ok(afterKey > 0 && afterKey < first[1], 'r resets and → steps');
  await page.keyboard.press('?');
  assert.ok(await page.isVisible('#help'), '? opens the shortcuts');
  await page.screenshot({ path: `${SHOTS}/02-help.png` });
  await page.keyboard.press('Escape');
  assert.ok(!(await page.isVisible('#help')));
  assert.deepEqual(errors, []);
});

test('stopping the broker loses messages, and restarting it recovers', async () => {
  const { page, errors } = await open('?preset=relay-basic&seed=1&speed=1/100');
  await page.click('[data-node="b1"]');
  assert.equal(await text(page, '#node-state'), 'running');
  await page.click('#node-stop-start');
  await page.waitForFunction(() => document.querySelector('#node-state')?.textContent.trim() === 'stopped');
  assert.ok(await page.locator('[data-node="b1"].down').count() === 1, 'the node is drawn stopped');
  const lost0 = await number(page, '#dropped');
  // Publishes to a stopped broker are dropped (waited for, not timed: a loaded machine plays slower).
  await page.waitForFunction((n) => Number(document.querySelector('#dropped').textContent) > n, lost0, { timeout: 20000 });
  await page.waitForFunction(() => /node-stopped\s+b1/.test(document.querySelector('#log')?.textContent ?? ''), null, { timeout: 20000 });
  await page.screenshot({ path: `${SHOTS}/03-broker-stopped.png`, fullPage: true });
  await page.click('#node-stop-start');
  // (the inspector re-renders on the next frame: wait for it rather than race it)
  await page.waitForFunction(() => document.querySelector('#node-state')?.textContent.trim() === 'running');
  assert.deepEqual(errors, []);
});

test('clicking a link cuts it and clicking again heals it', async () => {
  const { page, errors } = await open('?preset=relay-basic&seed=1&speed=1/100');
  const link = page.locator('[data-link]').first();
  await link.click();
  assert.equal(await page.locator('[data-link].cut').count(), 1);
  assert.match(await page.textContent('#log'), /link-cut/);
  await page.screenshot({ path: `${SHOTS}/04-link-cut.png` });
  await link.click();
  assert.equal(await page.locator('[data-link].cut').count(), 0);
  // Sends and deliveries stay out of the log unless asked for.
  assert.doesNotMatch(await page.textContent('#log'), /\bsent\s/);
  await page.check('#show-network');
  await page.waitForFunction(() => /\bsent\s/.test(document.querySelector('#log').textContent), null, { timeout: 5000 });
  assert.deepEqual(errors, []);
});

test('invalid input gets a message and loses nothing', async () => {
  const { page, errors } = await open('?preset=nope&seed=abc&speed=77');
  const notices = await page.locator('.notice').allTextContents();
  assert.equal(notices.length, 3, notices.join(' | '));
  assert.match(notices[0], /preset "nope" does not exist/);

  await page.fill('#seed', '12x');
  assert.match(await text(page, '#seed-error'), /"12x" is not a seed/);
  assert.ok(await page.isDisabled('#apply-seed'));
  // A pasted wall of text is echoed cut short.
  await page.fill('#seed', 'x'.repeat(5000));
  assert.ok((await text(page, '#seed-error')).length < 200, 'the seed error does not echo 5 000 characters');
  await page.fill('#seed', '12x');

  const broken = (await page.inputValue('#scenario-json')).replace('"interval": "2ms"', '"interval": "2 parsecs"');
  await page.fill('#scenario-json', broken);
  await page.click('#apply-scenario');
  await page.waitForFunction(() => /nodes\[0\]\.interval: .*unknown unit `parsecs`/.test(document.querySelector('#scenario-error')?.textContent ?? ''));
  assert.equal(await page.inputValue('#scenario-json'), broken, 'the text is kept as typed');

  await page.fill('#scenario-json', '{"name": "x", "nodes": []');
  await page.click('#apply-scenario');
  await page.waitForFunction(() => /EOF while parsing/.test(document.querySelector('#scenario-error')?.textContent ?? ''));
  await page.screenshot({ path: `${SHOTS}/05-invalid-input.png`, fullPage: true });

  // Still alive: time goes on.
  const t0 = await number(page, '#event-count');
  await page.waitForFunction((t) => Number(document.querySelector('#event-count').textContent) > t, t0, { timeout: 10000 });

  // A valid edit applies.
  await page.fill('#scenario-json', broken.replace('"2 parsecs"', '"1ms"'));
  await page.click('#apply-scenario');
  await page.waitForFunction(() => !document.querySelector('#scenario-error'));
  // A 10 000-character scenario name and queue name: the page stays as wide as the window.
  const long = 'n'.repeat(10000);
  const named = broken.replace('"2 parsecs"', '"1ms"').replace(/"name": "[^"]*"/, `"name": "${long}"`);
  await page.fill('#scenario-json', named);
  await page.click('#apply-scenario');
  await page.waitForFunction(() => !document.querySelector('#scenario-error'));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `a long name does not widen the page (${overflow} px)`);

  assert.deepEqual(errors, []);
});

test('the address bar reopens the same run', async () => {
  const { page } = await open('?preset=lossy-network&seed=5&speed=1/500');
  await page.selectOption('#speed', '6');
  await page.waitForTimeout(200);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('preset'), 'lossy-network');
  assert.equal(url.searchParams.get('seed'), '5');
  assert.equal(url.searchParams.get('speed'), '1/10', 'the speed reads as the page shows it');
});

test('a link replays what was done: the same trace hash at the same instant', async () => {
  const { page, errors } = await open('?preset=kafka-basic&seed=3&speed=1');
  await untilSimSeconds(page, 1);
  // Crash a broker and cut another from ZooKeeper by clicking, then pause.
  await page.click('g.node[data-node="b2"]');
  await page.click('#node-stop-start');
  await page.click('g.node[data-node="b3"]');
  await page.click('#node-session');
  await untilSimSeconds(page, 2);
  await page.click('#play'); // pause (not space: the focused button would take it)
  await page.waitForFunction(() => new URL(location.href).searchParams.has('t'));
  const link = page.url();
  const url = new URL(link);
  assert.match(url.searchParams.get('log'), /^\d+\.\d+\.stop\.\d+~\d+\.\d+\.cut\.\d+\.\d+$/, link);
  const [hash, time] = [await text(page, '#trace-hash'), await text(page, '#sim-time')];
  const again = await suite.browser.newPage();
  await again.goto(link);
  await again.waitForSelector('#trace-hash');
  assert.equal(await text(again, '#sim-time'), time);
  assert.equal(await text(again, '#trace-hash'), hash);
  assert.equal(await again.locator('.notice').count(), 0);
  // A mangled link says what is wrong and opens without its actions.
  await again.goto(link.replace(/log=[^&]*/, 'log=1.2.explode.3'));
  await again.waitForSelector('#trace-hash');
  assert.match((await again.locator('.notice').allTextContents()).join(' '), /"explode" is not an action/);
  await again.close();
  assert.deepEqual(errors, []);
});

test('the partition calculator gives Kafka\'s partition for a key', async () => {
  const { page, errors } = await open('?preset=relay-basic&speed=1/10000');
  await page.fill('#calc-key', 'foobar');
  await page.fill('#calc-partitions', '5');
  // murmur2("foobar") = -790332482 (Kafka's UtilsTest); toPositive = 1357151166; mod 5 = 1.
  assert.match(await text(page, '#partition-calc'), /murmur2 = -790332482/);
  assert.equal(await text(page, '#calc-partition'), 'partition 1');
  await page.fill('#calc-partitions', '0');
  assert.match(await text(page, '#calc-error'), /partitions must be from 1/);
  await page.locator('#partition-calc').screenshot({ path: `${SHOTS}/06-partition-calc.png` });
  assert.deepEqual(errors, []);
});

test('Kafka: a broker dies, the controller elects new leaders, the old leader rejoins and leads again', async () => {
  // Each broker shows its replicas; a ring marks each partition's leader. The run goes on at ×10
  // past b1's return, then the timeline shows three instants: a machine's speed cannot move them.
  const { page, errors } = await open('?preset=kafka-basic&seed=1&speed=10');
  await untilSimSeconds(page, 11);
  await page.click('#play'); // pause: the timeline now holds the run up to here
  const ringAt = () => page.$$eval('.chips .lead-ring', (rs) => Object.fromEntries(rs.map((r) => [r.dataset.leads, r.style.transform])));

  // 1.5 s: before b1 dies at 3 s.
  await scrubTo(page, 1500000);
  assert.equal(await page.locator('.chips .chip-r').count(), 9, '3 partitions × RF 3');
  assert.equal(await page.locator('.chips .lead-ring').count(), 3);
  const before = await ringAt();
  const leaders = await page.$$eval('.chips .chip-r.leader', (cs) => cs.map((c) => c.dataset.partition));
  await page.locator('svg.stage-svg').screenshot({ path: `${SHOTS}/08-kafka-leaders-before.png` });

  // 6 s: b1's session expired at about 4.8 s and its partitions have new leaders.
  await scrubTo(page, 6000000);
  await page.click('[data-node="zk"]');
  // The log keeps only recent lines; the coordinator keeps the partition states.
  assert.match(await page.textContent('#znodes'), /partitions\/\d\/state\s+leader=[23];epoch=[1-9]/, 'a new leader in a later epoch after b1 died');
  await page.click('[data-node="b2"]');
  assert.match(await page.textContent('#broker-partitions'), /leader/, 'b2 leads something');
  // Some leader ring moved to another broker's chip (b1's partitions got new leaders).
  const moved = await ringAt();
  assert.equal(Object.keys(moved).length, 3, 'every partition has a leader again');
  assert.ok(leaders.some((p) => moved[p] !== before[p]), `a leader ring moved: ${JSON.stringify({ before, moved })}`);

  // 10.5 s: b1 restarted at 9 s; the controller's leader-balance check gave it back the partitions
  // that prefer it (preferred leader election) at about 9.8 s.
  await scrubTo(page, 10500000);
  await page.click('[data-node="zk"]');
  assert.match(await page.textContent('#znodes'), /\/brokers\/ids\/1 .*ephemeral/, 'b1 re-registered');
  assert.deepEqual(await ringAt(), before, 'the preferred leaders lead again');
  assert.ok(await number(page, '#consumed') > 100, 'the consumer read the topic');
  await page.screenshot({ path: `${SHOTS}/07-kafka-failover.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('every preset opens from the menu and runs without an error', async () => {
  const { page, errors } = await open('?preset=relay-basic&seed=1&speed=10');
  const slugs = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  assert.ok(slugs.includes('rabbit-by-hand') && slugs.includes('kafka-groups'), slugs.join(', '));
  for (const slug of slugs) {
    await page.selectOption('#preset', slug);
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('preset') === s, slug);
    const t0 = await text(page, '#sim-time');
    await page.waitForFunction((t) => document.querySelector('#sim-time').textContent.trim() !== t, t0, { timeout: 10000 });
  }
  assert.deepEqual(errors, []);
});

test('the bare URL is a landing page with three doors and the sandbox, at desktop and phone widths', async () => {
  for (const [w, h, name] of [[1440, 900, '30-landing.png'], [390, 844, '31-landing-phone.png']]) {
    const page = await suite.browser.newPage({ viewport: { width: w, height: h } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(suite.site.url);
    await page.waitForSelector('.landing');
    for (const id of ['#door-kafka', '#door-rabbit', '#to-compare', '#door-sandbox']) {
      assert.ok(await page.isVisible(id), `${id} at ${w}px`);
    }
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(sideways <= 0, `no sideways scroll at ${w}px (${sideways}px)`);
    await page.screenshot({ path: `${SHOTS}/${name}`, fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  }
  // Each door opens what it names; the playground's title leads back.
  const { page } = await openApp(suite.browser, suite.site.url, '?preset=kafka-basic');
  for (const [door, want] of [['#door-kafka', 'kafka-basic'], ['#door-rabbit', 'rabbit-basic'], ['#door-sandbox', 'relay-basic']]) {
    await page.click('header h1 a');
    await page.waitForSelector('.landing');
    await page.click(door);
    await page.waitForSelector('#trace-hash');
    assert.equal(await page.inputValue('#preset'), want);
  }
  // The benchmarks are not in the learner's menu.
  const slugs = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  assert.ok(!slugs.some((s) => s.endsWith('bench')), slugs.join(', '));
});
