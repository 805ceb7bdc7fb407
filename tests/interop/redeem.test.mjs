// The reward-link redemption page (/r/{code}) in real headless Chromium, on
// a phone-sized viewport: the choices, choosing a voucher (POST, 303, GET),
// the voucher shown again (never a second one) on reload and in a fresh
// browser, a second choice refused, the e-mail form, an expired link and an
// invalid one. Started by the Rust test `link_browser::redemption_in_chromium`
// (tests/it/link_browser.rs), which provides the server and these variables:
//   GALLEY_LINK         an open link of a 500 INR campaign offering
//                       Cafe Coffee Day (one inventory code, CODE-1 / 1234)
//                       and the Galley Gift Card
//   GALLEY_SECOND_LINK  a link of the same campaign that has expired
//   GALLEY_SHOTS        where screenshots go
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch } from './helpers.mjs';

const link = new URL(process.env.GALLEY_LINK);
const expiredLink = new URL(process.env.GALLEY_SECOND_LINK);
const shots = process.env.GALLEY_SHOTS;
assert.ok(shots, 'GALLEY_SHOTS is not set');
// `{base}/r/` + 43 characters: the shape of a real code, but no such link.
const invalidLink = new URL('A'.repeat(43), link);
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

const browser = await launch();
after(async () => { await browser.close(); });

// A fresh browser (no cookies) that only talks to the server under test:
// product images on other hosts are refused instead of waited for.
async function freshContext() {
  const context = await browser.newContext(phone);
  await context.route('**/*', (route) =>
    new URL(route.request().url()).host === link.host ? route.continue() : route.abort());
  return context;
}

const text = async (page, selector) => (await page.textContent(selector)).trim();

async function expectVoucher(page) {
  await page.waitForSelector('#voucher-code');
  assert.equal(await page.title(), 'Your voucher');
  assert.equal(await text(page, '#voucher-code'), 'CODE-1');
  assert.equal(await text(page, '#voucher-pin'), '1234');
  assert.match(await page.textContent('main'), /Your Cafe Coffee Day voucher/);
  assert.equal(await page.locator('#voucher-code').count(), 1, 'exactly one voucher');
  assert.equal(await page.getByRole('button', { name: /^Choose/ }).count(), 0, 'no choices left');
}

test('choose a voucher, see it again, never a second one, e-mail it', async () => {
  const context = await freshContext();
  const page = await context.newPage();

  const first = await page.goto(link.href);
  assert.equal(first.status(), 200);
  assert.equal(first.headers()['x-robots-tag'], 'noindex, nofollow');
  assert.equal(await page.title(), 'Choose your reward');
  const main = await page.textContent('main');
  assert.match(main, /Choose your 500\.00 INR voucher/);
  assert.match(main, /Cafe Coffee Day/);
  assert.match(main, /Galley Gift Card/);
  assert.match(main, /500\.00 INR/);
  assert.equal(await page.getByRole('button', { name: 'Choose Cafe Coffee Day' }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Choose Galley Gift Card' }).count(), 1);
  // The page fits the phone: no horizontal scrolling.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  await page.screenshot({ path: path.join(shots, 'redeem-choose.png'), fullPage: true });

  // Choose: POST, 303 back to the link's page, which shows the voucher.
  const [chosen] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === link.href),
    page.getByRole('button', { name: 'Choose Cafe Coffee Day' }).click(),
  ]);
  assert.equal(chosen.status(), 303);
  await page.waitForURL(link.href);
  await expectVoucher(page);
  await page.screenshot({ path: path.join(shots, 'redeem-voucher.png'), fullPage: true });

  // Reload: the same voucher.
  const reloaded = await page.reload();
  assert.equal(reloaded.status(), 200);
  await expectVoucher(page);

  // A second choice (the gift card), posted as the form would be with this
  // browser's CSRF cookie: still redirected to the one voucher.
  const csrf = (await context.cookies(link.href)).find((c) => c.name === 'galley_csrf');
  assert.ok(csrf, 'the page set a CSRF cookie');
  const again = await context.request.post(link.href, {
    form: { csrf: csrf.value, product_id: '104' },
    maxRedirects: 0,
  });
  assert.equal(again.status(), 303);
  assert.equal(new URL(again.headers().location, link).href, link.href);

  // Another browser altogether: the same voucher.
  const other = await freshContext();
  const otherPage = await other.newPage();
  assert.equal((await otherPage.goto(link.href)).status(), 200);
  await expectVoucher(otherPage);
  await other.close();

  // The e-mail form.
  await page.reload();
  await page.fill('input#email', 'asha.redeem@shop.test');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/email')),
    page.getByRole('button', { name: 'Send' }).click(),
  ]);
  await page.waitForSelector('.notice[role=status]');
  assert.equal(await text(page, '.notice[role=status]'),
    'We are sending your voucher to asha.redeem@shop.test.');
  await expectVoucher(page);
  assert.equal(await page.inputValue('input#email'), 'asha.redeem@shop.test');
  await page.screenshot({ path: path.join(shots, 'redeem-emailed.png'), fullPage: true });
  await context.close();
});

test('an expired link says so with 410 and offers nothing', async () => {
  const context = await freshContext();
  const page = await context.newPage();
  const response = await page.goto(expiredLink.href);
  assert.equal(response.status(), 410);
  assert.equal(await page.title(), 'This reward link expired');
  const main = await page.textContent('main');
  assert.match(main, /This reward link expired/);
  assert.match(main, /500\.00 INR/);
  assert.equal(await page.locator('form').count(), 0);
  assert.equal(await page.locator('#voucher-code').count(), 0);
  await page.screenshot({ path: path.join(shots, 'redeem-expired.png'), fullPage: true });
  await context.close();
});

test('an invalid link is a 404 page that says so', async () => {
  const context = await freshContext();
  const page = await context.newPage();
  const response = await page.goto(invalidLink.href);
  assert.equal(response.status(), 404);
  assert.equal(response.headers()['content-type']?.split(';')[0], 'text/html');
  const main = await page.textContent('main');
  assert.match(main, /This reward link is not valid/);
  assert.equal(await page.locator('form').count(), 0);
  await page.screenshot({ path: path.join(shots, 'redeem-invalid.png'), fullPage: true });
  await context.close();
});
