// The Webhooks section of the admin portal in headless Chromium: the empty
// list, Add endpoint (dialog), the signing secret shown once with a copy
// button, the endpoint's page, Send test event (the receiver started by
// the Rust side acknowledges it), Replay of that delivery, the rotation
// dialog, and the list again. Started by the Rust test
// `interop::webhooks_browser` (tests/it/interop.rs), which provides the
// server, a company with a super admin and the receiver's URL. Screenshots
// at phone and desktop widths go to GALLEY_SCREENSHOTS (webhooks-*.png).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch } from './helpers.mjs';

const base = process.env.GALLEY_BASE;
const email = process.env.GALLEY_ADMIN_EMAIL;
const password = process.env.GALLEY_ADMIN_PASSWORD;
const shots = process.env.GALLEY_SCREENSHOTS;
const receiver = process.env.GALLEY_RECEIVER;

const browser = await launch();
after(() => browser.close());

async function shoot(page, name) {
  for (const [label, width, height] of [['phone', 414, 896], ['desktop', 1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: path.join(shots, `webhooks-${name}-${label}.png`), fullPage: true });
  }
}

// Reloads the endpoint's page until `text` appears in the deliveries.
async function waitForText(page, text) {
  for (let i = 0; i < 100; i++) {
    if ((await page.textContent('main')).includes(text)) return;
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
  assert.fail(`"${text}" never appeared`);
}

test('an admin adds an endpoint, sends a test event and replays it', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  await page.goto(`${base}/admin/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1');

  await page.click('nav >> text=Webhooks');
  await page.waitForSelector('text=No endpoints yet');
  await shoot(page, '01-empty');

  await page.click('text=Add endpoint');
  await page.waitForSelector('[role=dialog]');
  await page.fill('input[name=url]', 'ftp://nowhere.example');
  await page.click('[role=dialog] button[type=submit]');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.textContent('[role=alert]'), /https:\/\//);
  await shoot(page, '02-add-error');
  await page.fill('input[name=url]', receiver);
  await page.fill('input[name=api_key]', 'static-key');
  await shoot(page, '03-add-dialog');
  await page.click('[role=dialog] button[type=submit]');
  await page.waitForSelector('#secret');
  const secret = (await page.textContent('#secret')).trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
  await page.click('button[aria-label="Copy Signing secret"]');
  await page.waitForSelector('button[aria-label="Copy Signing secret"]:is(:text("Copied"), :text("Selected"))');
  const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  if (copied) assert.equal(copied, secret);
  await shoot(page, '04-secret');

  await page.click('text=Done');
  await page.waitForSelector('text=Send test event');
  assert.ok(!(await page.content()).includes(secret), 'the secret is shown once');
  await page.click('text=Send test event');
  await page.waitForSelector('text=A test event is queued');
  await waitForText(page, 'HTTP 200');
  assert.match(await page.textContent('main'), /webhook\.test/);
  assert.match(await page.textContent('main'), /Delivered/);
  await shoot(page, '05-delivered');

  await page.click('td button:has-text("Replay")');
  await page.waitForSelector('text=The delivery is queued again');
  await shoot(page, '06-replayed');

  await page.click('text=Rotate secret');
  await page.waitForSelector('[role=dialog]');
  await shoot(page, '07-rotate-dialog');
  await page.click('[role=dialog] >> text=Cancel');

  await page.click('text=← Webhooks');
  await page.waitForSelector('table');
  assert.match(await page.textContent('main'), /Enabled/);
  await shoot(page, '08-list');
  await context.close();
});
