// The way out to real brokers: the export buttons download the files `brokerlab export` writes,
// and a definitions.json chosen in the RabbitMQ editor replaces its topology (a bad one changes
// nothing and says why). Screenshots at desktop (1440×900) and phone (390×844) widths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { appSuite, SHOTS, text } from './browser.mjs';

const suite = appSuite();
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

const open = (viewport, query) => suite.open(query, { viewport });

/** Clicks `button` and returns the download's file name and text. */
async function download(page, button) {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: d.suggestedFilename(), text: await readFile(await d.path(), 'utf8') };
}

test('export: a Kafka scenario downloads compose files, topic commands and client properties', async () => {
  const { page, errors } = await open(DESKTOP, '?preset=kafka-groups&seed=1');
  await page.locator('#export').scrollIntoViewIfNeeded();
  const buttons = page.locator('#export button.export-file');
  assert.deepEqual(await buttons.allTextContents(), [
    'docker-compose.yml', 'docker-compose.yml', 'create-topics.sh',
    'producer-order-service.properties', 'consumer-notification-service.properties',
  ]);
  const files = [];
  for (let i = 0; i < 5; i++) files.push(await download(page, buttons.nth(i)));
  assert.deepEqual(files.map((f) => f.name), await buttons.allTextContents());
  assert.match(files[0].text, /image: apache\/kafka:4\.0\.0/);
  assert.match(files[0].text, /KAFKA_PROCESS_ROLES: 'controller'/);
  assert.match(files[1].text, /image: confluentinc\/cp-kafka:7\.9\.0/);
  assert.match(files[1].text, /KAFKA_ZOOKEEPER_CONNECT: 'zk:2181'/);
  assert.match(files[2].text, /--create --topic orders \\\n {2}--partitions 6 --replication-factor 3/);
  assert.match(files[3].text, /^acks=all$/m);
  assert.match(files[4].text, /^partition\.assignment\.strategy=org\.apache\.kafka\.clients\.consumer\.RangeAssignor$/m);
  // What no file can hold is said in it: the scheduled crash of n2.
  assert.match(files[0].text, /"action":"stop","node":"n2"/);
  await page.locator('#export').screenshot({ path: `${SHOTS}/60-export-kafka-desktop.png` });
  await page.close();

  const phone = await open(PHONE, '?preset=kafka-groups&seed=1');
  await phone.page.locator('#export').scrollIntoViewIfNeeded();
  await phone.page.locator('#export').screenshot({ path: `${SHOTS}/61-export-kafka-phone.png` });
  await phone.page.close();
  assert.deepEqual([...errors, ...phone.errors], []);
});

test('export and import: definitions.json out, edited, back into the RabbitMQ editor', async () => {
  const { page, errors } = await open(DESKTOP, '?preset=rabbit-basic&seed=1&speed=1/10');
  await page.waitForSelector('#rabbit svg g[data-queue="billing"]');
  const file = await download(page, page.locator('#export button[data-format="definitions"]'));
  assert.equal(file.name, 'definitions.json');
  const defs = JSON.parse(file.text);
  assert.deepEqual(defs.queues.map((q) => q.name), ['billing', 'shipping', 'audit', 'lost-and-found', 'dead-letters']);
  assert.equal(defs.exchanges[0].arguments['alternate-exchange'], 'unrouted');

  await page.click('#topology-editor summary');
  const queueRows = () => page.locator('#edit-queues tr[data-queue-row]').count();
  // A file that is not definitions: said in words, nothing changes.
  await page.setInputFiles('#import-definitions', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not json at all') });
  await page.waitForSelector('#import-report.field-error');
  assert.match(await text(page, '#import-report'), /notes\.txt was not imported: this is not a definitions file.*unchanged/);
  assert.equal(await queueRows(), 5);
  // A bad argument: named in the file's terms.
  const bad = structuredClone(defs);
  bad.queues[1].arguments['x-overflow'] = 'drop-tail';
  await page.setInputFiles('#import-definitions', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
  await page.waitForFunction(() => /bad\.json was not imported: queue "shipping": arguments\.x-overflow/.test(document.querySelector('#import-report')?.textContent));
  assert.equal(await queueRows(), 5);

  // The exported file with one more queue bound to orders, and a policy the model does not have.
  defs.queues.push({ name: 'refunds', vhost: '/', durable: true, auto_delete: false, arguments: { 'x-max-length': 50 } });
  defs.bindings.push({ source: 'orders', vhost: '/', destination: 'refunds', destination_type: 'queue', routing_key: 'refund.#', arguments: {} });
  defs.policies = [{ name: 'ha', vhost: '/', pattern: '.*', definition: {} }];
  await page.setInputFiles('#import-definitions', { name: 'definitions.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(defs)) });
  await page.waitForFunction(() => /Imported definitions\.json: 3 exchanges, 6 queues, 6 bindings/.test(document.querySelector('#import-report')?.textContent));
  assert.match(await text(page, '#import-report'), /policies left out \(1\)/);
  assert.equal(await queueRows(), 6);
  await page.locator('#topology-editor').screenshot({ path: `${SHOTS}/62-import-definitions-desktop.png` });
  await page.click('#apply-topology');
  // The run restarts with it: refunds is drawn and refund.eu now reaches it.
  await page.waitForFunction(() => Number(document.querySelector('#rabbit g[data-queue="refunds"]')?.dataset.ready) > 0, null, { timeout: 30000 });
  const again = JSON.parse((await download(page, page.locator('#export button[data-format="definitions"]'))).text);
  assert.deepEqual(again.queues.at(-1), defs.queues.at(-1));
  assert.deepEqual(again.bindings.at(-1), defs.bindings.at(-1));
  await page.close();

  const phone = await open(PHONE, '?preset=rabbit-basic&seed=1&speed=1/10');
  await phone.page.waitForSelector('#rabbit svg g[data-queue="billing"]');
  await phone.page.click('#topology-editor summary');
  await phone.page.setInputFiles('#import-definitions', { name: 'definitions.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(defs)) });
  await phone.page.waitForSelector('#import-report:not(.field-error)');
  await phone.page.locator('#topology-editor .rq-import').screenshot({ path: `${SHOTS}/63-import-definitions-phone.png` });
  await phone.page.locator('#export').scrollIntoViewIfNeeded();
  await phone.page.locator('#export').screenshot({ path: `${SHOTS}/64-export-rabbit-phone.png` });
  await phone.page.close();
  assert.deepEqual([...errors, ...phone.errors], []);
});
