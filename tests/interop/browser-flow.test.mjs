// End-to-end authorization-code flow in real headless Chromium, with
// panva's oauth4webapi as the client app: PKCE, sign-up, consent, the
// callback, the code exchange and a refresh. Started by the Rust test
// `interop::browser_flow` (tests/it/interop.rs), which provides the server,
// a registered client whose callback is GALLEY_CALLBACK, and these
// variables. Screenshots go to GALLEY_SCREENSHOTS; the server's e-mails are
// read from its spool folder GALLEY_SPOOL_DIR.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import * as oauth from 'oauth4webapi';
import { launch, signUp } from './helpers.mjs';

const issuer = new URL(process.env.GALLEY_ISSUER);
const client = { client_id: process.env.GALLEY_CLIENT_ID };
const clientAuth = oauth.ClientSecretPost(process.env.GALLEY_CLIENT_SECRET);
const callback = new URL(process.env.GALLEY_CALLBACK);
const shots = process.env.GALLEY_SCREENSHOTS;
const insecure = { [oauth.allowInsecureRequests]: true };

// The client app's callback endpoint: remembers the URL it was called with.
let lastCallback;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, callback);
  if (url.pathname === callback.pathname) lastCallback = url; // not /favicon.ico
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>Client app</title><h1>Back at the client app</h1>');
});
await new Promise((resolve) => server.listen(Number(callback.port), '127.0.0.1', resolve));

const browser = await launch();
after(async () => { await browser.close(); server.close(); });

const as = await oauth.processDiscoveryResponse(
  issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));

async function startFlow(page, scope) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', callback.href);
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  await page.goto(url.href);
  return { verifier, state };
}

test('sign up, consent, callback, code exchange with PKCE, refresh', async () => {
  const page = await browser.newPage({ viewport: { width: 414, height: 896 } });
  const { verifier, state } = await startFlow(page, 'user_session,profile_read');

  await page.waitForSelector('input[name=email]');
  await page.screenshot({ path: path.join(shots, '1-login.png'), fullPage: true });
  const shots2 = { signup: '2-signup', 'check-email': '2a-check-email', confirm: '2b-confirm' };
  await signUp(page, 'Asha Browser', 'asha.browser@shop.test',
    (name) => page.screenshot({ path: path.join(shots, `${shots2[name]}.png`), fullPage: true }));

  await page.waitForSelector('button[name=decision][value=allow]');
  const consentText = await page.textContent('main');
  assert.match(consentText, /Browser Test App/);
  assert.match(consentText, /Read your profile/);
  await page.screenshot({ path: path.join(shots, '3-consent.png'), fullPage: true });
  await page.click('button[name=decision][value=allow]');

  await page.waitForURL((u) => u.href.startsWith(callback.href));
  await page.screenshot({ path: path.join(shots, '4-callback.png'), fullPage: true });
  const params = oauth.validateAuthResponse(as, client, lastCallback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, clientAuth, params, callback.href, verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  assert.ok(tokens.access_token.startsWith('gly_at_'));
  assert.equal(tokens.scope, 'user_session profile_read');

  const refreshed = await oauth.processRefreshTokenResponse(
    as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, insecure));
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

  // Same scopes again: no second consent page, straight back with a code.
  const again = await startFlow(page, 'user_session,profile_read');
  await page.waitForURL((u) => u.href.startsWith(callback.href));
  assert.ok(oauth.validateAuthResponse(as, client, lastCallback, again.state).get('code'));
  await page.close();
});

test('deny sends the user back with access_denied', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { state } = await startFlow(page, 'user_session');
  await signUp(page, 'Ravi Browser', 'ravi.browser@shop.test');
  await page.click('button[name=decision][value=deny]');
  await page.waitForURL((u) => u.href.startsWith(callback.href));
  assert.equal(lastCallback.searchParams.get('error'), 'access_denied');
  assert.equal(lastCallback.searchParams.get('error_description'), 'The user denied the request');
  assert.throws(() => oauth.validateAuthResponse(as, client, lastCallback, state),
    (err) => err instanceof oauth.AuthorizationResponseError && err.error === 'access_denied');
  await context.close();
});
