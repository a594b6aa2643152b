// A real OpenID Connect provider for the SSO tests (F-19): panva's certified `oidc-provider`
// (package.json devDependencies), started by tests/web/sso/conftest.py on 127.0.0.1.
//
//   node tests/support/oidc_provider.mjs '{"port": 4100, "clients": [...]}'
//
// Everything protocol-related is the package's own: discovery, JWKS, the authorization code
// flow with PKCE, tokens, ID token signatures, RP-initiated logout. What this file adds, for
// tests only:
//  - an interaction without a browser form: /interaction/<uid> logs in the user the test named
//    with POST /__test__/login {sub, amr, acr} and grants the requested scopes;
//  - POST /__test__/user {sub, claims}: the claims of a user (email, email_verified, name);
//  - POST /__test__/rotate: a new signing key (the old one is no longer published);
//  - POST /__test__/tamper {aud?, iss?, exp_offset?, nonce?}: the next token response carries an
//    ID token with that claim changed, signed with the provider's own current key; this is how
//    a wrong audience, issuer, expiry or nonce reaches the portal from a real provider;
//  - POST /__test__/reset: forget users, the next login and tampering.
// It prints "listening <issuer>" on stdout once it accepts requests.

import http from 'node:http';
import crypto from 'node:crypto';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;

let users = {};
let nextLogin = null;
let tamper = null;
let signingKey = null;
let provider = null;

async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = crypto.randomBytes(8).toString('hex');
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return jwk;
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString());
}

async function resign(idToken, changes) {
  const [header, payload] = idToken.split('.').map((p, i) => (i < 2 ? b64json(p) : p));
  if (changes.aud !== undefined) payload.aud = changes.aud;
  if (changes.iss !== undefined) payload.iss = changes.iss;
  if (changes.azp !== undefined) payload.azp = changes.azp;
  if (changes.nonce !== undefined) payload.nonce = changes.nonce;
  if (changes.exp_offset !== undefined) {
    payload.exp = Math.floor(Date.now() / 1000) + changes.exp_offset;
    payload.iat = Math.min(payload.iat, payload.exp - 60);
  }
  const key = await jose.importJWK(signingKey, 'RS256');
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

function makeProvider() {
  const p = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris || [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    claims: {
      acr: null,
      amr: null,
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    acrValues: ['http://schemas.openid.net/pape/policies/2007/06/multi-factor', 'urn:eata:test:single-factor'],
    conformIdTokenClaims: false, // the ID token carries email and name, like Entra ID's
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, sub) => {
      if (!users[sub]) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...users[sub] }) };
    },
  });
  p.use(async (ctx, next) => {
    await next();
    if (tamper && ctx.oidc && ctx.oidc.route === 'token' && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token, tamper) };
      tamper = null;
    }
  });
  return p;
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (!nextLogin) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('no user to log in: POST /__test__/login first');
    return;
  }
  const { params } = details;
  const accountId = details.session?.accountId || nextLogin.sub;
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const result = {
    login: { accountId: nextLogin.sub, amr: nextLogin.amr, acr: nextLogin.acr },
    consent: { grantId: await grant.save() },
  };
  const returnTo = await provider.interactionResult(req, res, result, {
    mergeWithLastSubmission: false,
  });
  res.writeHead(303, { location: returnTo });
  res.end();
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

async function control(req, res, path) {
  const data = await readJson(req);
  if (path === '/__test__/user') users[data.sub] = data.claims;
  else if (path === '/__test__/login') nextLogin = data;
  else if (path === '/__test__/tamper') tamper = data;
  else if (path === '/__test__/rotate') {
    signingKey = await newKey();
    provider = makeProvider();
  } else if (path === '/__test__/reset') {
    users = {};
    nextLogin = null;
    tamper = null;
  } else {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true, kid: signingKey.kid }));
}

signingKey = await newKey();
provider = makeProvider();

const server = http.createServer((req, res) => {
  const path = new URL(req.url, issuer).pathname;
  const handle = path.startsWith('/__test__/')
    ? control(req, res, path)
    : path.startsWith('/interaction/')
      ? interaction(req, res)
      : provider.callback()(req, res);
  Promise.resolve(handle).catch((err) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end(String(err));
  });
});
server.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
