import { launch, serveDist } from './browser.mjs';
const [query, out, w, h, sel] = process.argv.slice(2);
const site = await serveDist();
const b = await launch();
const p = await b.newPage({ viewport: { width: +w, height: +h } });
p.on('console', (m) => { if (m.type() === 'error') console.log('console error', m.text()); });
await p.goto(site.url + query); await p.waitForTimeout(3000);
if (sel) await p.locator(sel).screenshot({ path: out }); else await p.screenshot({ path: out, fullPage: true });
await b.close(); site.close();
