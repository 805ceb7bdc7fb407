// The admin portal in real headless Chromium, driven as an admin would:
// log in, Settings → API → Generate Client ID (dialog, Save), copy the
// Secret ID, Generate Token, use the tokens and the secret at the token
// endpoint, rotate the secret, then the balance, admins and audit pages,
// a campaign with generated links (their CSV downloaded, one link opened),
// the reports and the developer hub.
// Started by the Rust test `interop::portal_browser` (tests/it/interop.rs),
// which provides the server and a company with a super admin. Screenshots
// of every page and dialog, at phone and desktop widths, go to
// GALLEY_SCREENSHOTS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch } from './helpers.mjs';

const base = process.env.GALLEY_BASE;
const email = process.env.GALLEY_ADMIN_EMAIL;
const password = process.env.GALLEY_ADMIN_PASSWORD;
const shots = process.env.GALLEY_SCREENSHOTS;

const browser = await launch();
after(() => browser.close());

// Screenshots of the current page at phone and desktop widths.
async function shoot(page, name) {
  for (const [label, width, height] of [['phone', 414, 896], ['desktop', 1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: path.join(shots, `portal-${name}-${label}.png`), fullPage: true });
  }
}

async function token(body) {
  const response = await fetch(`${base}/v1/oauth/token/user`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

test('an admin makes API credentials, uses them and rotates the secret', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();

  await page.goto(`${base}/admin`);
  await page.waitForSelector('input[name=email]');
  assert.match(page.url(), /\/admin\/login\?next=/);
  await shoot(page, '01-login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1');
  assert.match(await page.textContent('main'), /Balance/);
  await shoot(page, '02-overview');

  await page.click('nav >> text=Settings → API');
  await page.waitForSelector('text=Generate Client ID');
  await shoot(page, '03-api-empty');
  await page.click('text=Generate Client ID');
  await page.waitForSelector('[role=dialog]');
  assert.ok(await page.isChecked('input[value=plum_pro_api]'), 'Plum PRO API is the default scope');
  await shoot(page, '04-generate-dialog');
  await page.click('[role=dialog] button[type=submit]');

  await page.waitForSelector('#secret');
  const clientId = (await page.textContent('#client-id')).trim();
  const secret = (await page.textContent('#secret')).trim();
  assert.match(secret, /^gly_cs_/);
  await page.click('button[aria-label="Copy Secret ID"]');
  await page.waitForSelector('button[aria-label="Copy Secret ID"]:is(:text("Copied"), :text("Selected"))');
  const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  if (copied) assert.equal(copied, secret);
  await shoot(page, '05-client-secret');

  await page.click('text=Done');
  await page.waitForSelector(`text=${clientId}`);
  assert.doesNotMatch(await page.content(), new RegExp(secret), 'the secret is shown once');
  // The company may have other API clients; use the one just made.
  const ours = page.locator('section.card', { hasText: clientId });
  await ours.locator('button:text("Generate Token")').click();
  await page.waitForSelector('#access');
  const access = (await page.textContent('#access')).trim();
  const refresh = (await page.textContent('#refresh')).trim();
  await shoot(page, '06-tokens');

  const validated = await fetch(`${base}/v1/oauth/token`, { headers: { authorization: `Bearer ${access}` } });
  assert.equal(validated.status, 200);
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: refresh, client_id: clientId, client_secret: secret });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));

  await page.goto(`${base}/admin/settings/api`);
  await shoot(page, '07-api-with-client');
  await page.locator('section.card', { hasText: clientId }).locator('text=Rotate secret').click();
  await page.waitForSelector('[role=dialog]');
  await shoot(page, '08-rotate-dialog');
  await page.click('text=Generate new Secret ID');
  await page.waitForSelector('#secret');
  const rotated = (await page.textContent('#secret')).trim();
  assert.notEqual(rotated, secret);
  await shoot(page, '09-rotated-secret');
  const next = refreshed.json.refresh_token;
  assert.equal((await token({ grant_type: 'refresh_token', refresh_token: next, client_id: clientId, client_secret: secret })).status, 401);
  assert.equal((await token({ grant_type: 'refresh_token', refresh_token: next, client_id: clientId, client_secret: rotated })).status, 200);

  for (const [name, link, heading] of [['10-balance', 'Balance', 'Ledger'], ['11-admins', 'Admins', 'Add an admin'], ['12-audit', 'Audit log', 'client.secret_rotated']]) {
    await page.click(`nav >> text=${link}`);
    await page.waitForSelector(`text=${heading}`);
    await shoot(page, name);
  }

  // Campaigns: create one from the catalog, generate links, download them.
  await page.click('nav >> text=Campaigns');
  await page.waitForSelector('h1:text("Campaigns")');
  await shoot(page, '13-campaigns');
  await page.click('text=New campaign');
  await page.waitForSelector('input[name=denomination]');
  await page.fill('input[name=name]', 'Diwali thanks');
  await page.fill('input[name=denomination]', '500');
  await page.fill('input[name=currency]', 'INR');
  await page.fill('input[name=country]', 'IN');
  await page.check('input[name=product][value="101"]');
  await shoot(page, '14-campaign-new');
  await page.click('button:text("Create campaign")');
  await page.waitForSelector('h1:text("Diwali thanks")');
  await shoot(page, '15-campaign');
  await page.fill('input[name=quantity]', '3');
  await page.click('button:text("Generate links")');
  const download = page.waitForEvent('download');
  await page.waitForSelector('a[download]');
  await shoot(page, '16-links-generated');
  await page.click('a[download]');
  const csv = await (await download).path().then((file) => import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8')));
  const rows = csv.trim().split('\n');
  assert.equal(rows.length, 4, csv);
  const link = rows[1].split(',').find((cell) => cell.includes('/r/'));
  const recipient = await context.newPage();
  await recipient.goto(link.replace(/"/g, ''));
  await recipient.waitForSelector('h1');
  await recipient.close();

  // Reports: orders (codes masked but for super admins) and links.
  await page.click('nav >> text=Reports');
  await page.waitForSelector('h1');
  await shoot(page, '17-report-orders');
  await page.goto(`${base}/admin/reports/links`);
  await page.waitForSelector('table');
  assert.match(await page.textContent('main'), /Diwali thanks/);
  await shoot(page, '18-report-links');

  await page.goto(`${base}/developers`);
  await page.waitForSelector('h1:text("Developer hub")');
  await shoot(page, '19-developer-hub');

  await page.click('button:text("Log out")');
  await page.waitForSelector('input[name=email]');
  await page.goto(`${base}/admin`);
  await page.waitForSelector('input[name=email]');
  await context.close();
});
