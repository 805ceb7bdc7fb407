// Drives a running Galley with panva's oauth4webapi, a strict OAuth 2.0
// client written by others. Started by the Rust test `interop::oauth4webapi`
// (tests/it/interop.rs), which provides the server and these variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';

const issuer = new URL(process.env.GALLEY_ISSUER);
const client = { client_id: process.env.GALLEY_CLIENT_ID };
const secret = process.env.GALLEY_CLIENT_SECRET;
const insecure = { [oauth.allowInsecureRequests]: true };

async function discover() {
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
}

test('discovery (RFC 8414)', async () => {
  const as = await discover();
  assert.equal(as.issuer, issuer.href.replace(/\/$/, ''));
  assert.ok(as.token_endpoint.endsWith('/v1/oauth/token/user'));
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
});

for (const [name, auth] of [
  ['client_secret_post', oauth.ClientSecretPost(secret)],
  ['client_secret_basic', oauth.ClientSecretBasic(secret)],
]) {
  test(`client_credentials, introspection and revocation with ${name}`, async () => {
    const as = await discover();
    const response = await oauth.clientCredentialsGrantRequest(
      as, client, auth, new URLSearchParams({ scope: 'plum_pro_api' }), insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'plum_pro_api');
    assert.ok(tokens.access_token.startsWith('gly_at_'));
    assert.equal(tokens.refresh_token, undefined);

    let claims = await oauth.processIntrospectionResponse(
      as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(claims.active, true);
    assert.equal(claims.client_id, client.client_id);
    assert.equal(claims.scope, 'plum_pro_api');

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
    claims = await oauth.processIntrospectionResponse(
      as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(claims.active, false);
  });
}

test('refresh with rotation; the old refresh token is refused', async () => {
  const as = await discover();
  const auth = oauth.ClientSecretBasic(secret);
  const first = process.env.GALLEY_REFRESH_TOKEN;
  const rotated = await oauth.processRefreshTokenResponse(
    as, client, await oauth.refreshTokenGrantRequest(as, client, auth, first, insecure));
  assert.ok(rotated.refresh_token.startsWith('gly_rt_'));
  assert.notEqual(rotated.refresh_token, first);
  assert.equal(rotated.expires_in, 2592000);

  const again = await oauth.refreshTokenGrantRequest(as, client, auth, first, insecure);
  await assert.rejects(
    oauth.processRefreshTokenResponse(as, client, again),
    (err) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant');
});
