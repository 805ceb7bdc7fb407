// The developer hub in real headless Chromium, as in the developer's
// journey: log in → Create an app (private) → Basic Info → Save → the
// OAuth & access scopes tab with client_id and client_secret. Then
// panva's oauth4webapi, as the app, runs the authorization-code flow with
// PKCE against the app made in the browser (a user signs up and allows);
// back in the hub the developer refreshes the secret (dialog, Generate new
// client secret); the old secret is refused and the user's refresh token
// still works with the new one. Started by the Rust test
// `interop::developer_hub_browser`; screenshots go to GALLEY_SCREENSHOTS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import * as oauth from 'oauth4webapi';
import { launch, signUp } from './helpers.mjs';

const base = process.env.GALLEY_BASE;
const shots = process.env.GALLEY_SCREENSHOTS;
const callback = new URL(process.env.GALLEY_CALLBACK);
const insecure = { [oauth.allowInsecureRequests]: true };

let lastCallback;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, callback);
  if (url.pathname === callback.pathname) lastCallback = url;
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>Loyalty</title><h1>Back at the app</h1>');
});
await new Promise((resolve) => server.listen(Number(callback.port), '127.0.0.1', resolve));
const browser = await launch();
after(async () => { await browser.close(); server.close(); });

async function shoot(page, name) {
  for (const [label, width, height] of [['phone', 414, 896], ['desktop', 1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: path.join(shots, `hub-${name}-${label}.png`), fullPage: true });
  }
}

test('a developer makes an app in the hub; oauth4webapi authorizes with it; the secret is refreshed', async () => {
  const dev = await (await browser.newContext()).newPage();
  await dev.goto(`${base}/developers`);
  await dev.fill('input[name=email]', process.env.GALLEY_ADMIN_EMAIL);
  await dev.fill('input[name=password]', process.env.GALLEY_ADMIN_PASSWORD);
  await dev.click('button[type=submit]');
  await dev.waitForSelector('h1:text("Developer hub")');
  await shoot(dev, '01-list-empty');

  await dev.click('text=Create an app');
  await dev.waitForSelector('input[name=visibility]');
  await dev.check('input[name=visibility][value=private]');
  await dev.fill('input[name=name]', 'Browser Loyalty');
  await dev.check('input[name=callback][value=url]');
  await dev.fill('input[name=redirect_uri]', callback.href);
  await dev.fill('textarea[name=description]', 'Points for every purchase at the corner shop.');
  await shoot(dev, '02-create');
  await dev.click('button:text("Save")');

  await dev.waitForSelector('text=OAuth & access scopes');
  await dev.click('summary:text("Reveal the client_secret")');
  const clientId = (await dev.textContent('#client-id')).trim();
  const secret = (await dev.textContent('#client-secret')).trim();
  assert.match(secret, /^gly_cs_/);
  await shoot(dev, '03-oauth-new-secret');

  // The app, built on oauth4webapi, with the credentials from the page.
  const issuer = new URL(base);
  const as = await oauth.processDiscoveryResponse(
    issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  const client = { client_id: clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: clientId, response_type: 'code', redirect_uri: callback.href, scope: 'user_session profile_read',
    state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  })) url.searchParams.set(k, v);
  const user = await (await browser.newContext()).newPage();
  await user.goto(url.href);
  await signUp(user, 'Lena Loyal', 'lena@corner.test');
  await user.waitForSelector('button[name=decision][value=allow]');
  assert.match(await user.textContent('main'), /Points for every purchase/);
  await shoot(user, '04-consent');
  await user.click('button[name=decision][value=allow]');
  await user.waitForURL((u) => u.href.startsWith(callback.href));
  const params = oauth.validateAuthResponse(as, client, lastCallback, state);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(secret), params, callback.href, verifier, insecure));
  assert.ok(tokens.refresh_token);

  // Refresh the secret in the hub.
  await dev.goto(`${base}/developers/apps/${clientId}/oauth`);
  await dev.waitForSelector('text=••••');
  assert.doesNotMatch(await dev.content(), new RegExp(secret), 'the secret is shown once');
  await shoot(dev, '05-oauth');
  await dev.click('a:text("Refresh")');
  await dev.waitForSelector('[role=dialog]');
  await shoot(dev, '06-refresh-dialog');
  await dev.click('button:text("Generate new client secret")');
  await dev.waitForSelector('summary:text("Reveal the client_secret")');
  await dev.click('summary:text("Reveal the client_secret")');
  const fresh = (await dev.textContent('#client-secret')).trim();
  assert.notEqual(fresh, secret);
  assert.equal((await dev.textContent('#client-id')).trim(), clientId, 'the client_id never changes');
  await shoot(dev, '07-new-secret');

  const old = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretPost(secret), tokens.refresh_token, insecure);
  assert.equal(old.status, 401, 'the old secret is refused');
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretPost(fresh), tokens.refresh_token, insecure));
  assert.ok(refreshed.access_token.startsWith('gly_at_'), 'the user token still works with the new secret');

  // The other tabs, the list with the app and its user.
  await dev.goto(`${base}/developers/apps/${clientId}`);
  await shoot(dev, '08-basic-info');
  await dev.goto(`${base}/developers/apps/${clientId}/try`);
  await shoot(dev, '09-try-it');
  await dev.goto(`${base}/developers/apps/${clientId}?delete=1`);
  await shoot(dev, '10-delete-dialog');
  await dev.goto(`${base}/developers`);
  assert.match(await dev.textContent('main'), /Browser Loyalty/);
  await shoot(dev, '11-list');

  // A public app, submitted for approval, approved by a reviewer.
  await dev.click('text=Create an app');
  await dev.check('input[name=visibility][value=public]');
  await dev.fill('input[name=name]', 'Marketplace Loyalty');
  await dev.check('input[name=callback][value=placeholder]');
  await dev.click('button:text("Save")');
  await dev.waitForSelector('#client-id');
  const publicId = (await dev.textContent('#client-id')).trim();
  await dev.goto(`${base}/developers/apps/${publicId}`);
  await dev.waitForSelector('text=placeholder');
  await shoot(dev, '12-public-placeholder');
  await dev.check('input[name=callback][value=url]');
  await dev.fill('input[name=redirect_uri]', 'https://marketplace.example.com/oauth/callback');
  await dev.click('button:text("Save")');
  await dev.click('button:text("Submit for approval")');
  await dev.waitForSelector('text=waiting for the operator');

  const reviewer = await (await browser.newContext()).newPage();
  await reviewer.goto(`${base}/operator`);
  await reviewer.fill('input[name=email]', process.env.GALLEY_OPERATOR_EMAIL);
  await reviewer.fill('input[name=password]', process.env.GALLEY_OPERATOR_PASSWORD);
  await reviewer.click('button[type=submit]');
  await reviewer.waitForSelector('text=Marketplace Loyalty');
  await shoot(reviewer, '13-operator-review');
  await reviewer.click('button:text("Approve Marketplace Loyalty")');
  await reviewer.waitForSelector('.badge.approved');
  await dev.goto(`${base}/developers`);
  assert.match(await dev.textContent('main'), /approved/);
  await shoot(dev, '14-list-approved');
});
