// node-oidc-provider, configured like Portico's benchmark client, as the
// anchor of bench/. Started by the harness:
//   node provider.mjs <port> <client_id> <client_secret> <redirect_uri>
// Listens on 127.0.0.1 only. Tokens: JWT access tokens signed ES256 (the
// same format as Portico's), ES256 id_tokens, rotating refresh tokens,
// an in-memory store without eviction (below). Interactions are answered at once (the
// benchmark measures the protocol, not a login page): the first authorize
// logs the bench user in and grants what was asked; later ones ride the
// SSO session.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!redirectUri) {
  console.error('usage: node provider.mjs <port> <client_id> <client_secret> <redirect_uri>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:portico-bench:api';

// node-oidc-provider's bundled memory adapter is an LRU of 1,000 entries:
// a few seconds of load evicted the sessions, grants and refresh tokens
// the later scenarios start from. This one keeps everything until it
// expires, like Portico's database.
const store = new Map();
const grants = new Map();
class MapAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(key, { payload, expiresAt });
    if (payload.grantId) {
      if (!grants.has(payload.grantId)) grants.set(payload.grantId, new Set());
      grants.get(payload.grantId).add(key);
    }
    if (payload.uid) store.set(`uid:${payload.uid}`, { payload: id, expiresAt });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
  }
  async find(id) {
    const e = store.get(this.key(id));
    if (!e || e.expiresAt <= Date.now()) return undefined;
    return e.payload;
  }
  async findByUid(uid) {
    const e = store.get(`uid:${uid}`);
    return e ? this.find(e.payload) : undefined;
  }
  async findByUserCode(userCode) {
    const e = store.get(`userCode:${userCode}`);
    return e ? this.find(e.payload) : undefined;
  }
  async consume(id) {
    const e = store.get(this.key(id));
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const key of grants.get(grantId) ?? []) store.delete(key);
    grants.delete(grantId);
  }
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    id_token_signed_response_alg: 'ES256',
    scope: 'openid offline_access api',
  }],
  adapter: MapAdapter,
  jwks: { keys: [jwk] },
  cookies: { keys: ['portico-bench-cookie-key-0123456789'] },
  scopes: ['openid', 'offline_access', 'api'],
  claims: { openid: ['sub'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  // Like Portico: every refresh returns a new refresh token.
  rotateRefreshToken: () => true,
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Session: 86400, Grant: 86400, Interaction: 600 },
});
provider.proxy = false;

// Answer every interaction at once: log in the bench user, grant the request.
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  if (process.env.BENCH_DEBUG) console.log(prompt, details.grantId, session);
  if (prompt.name === 'login') {
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'bench-user' } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  grant.addOIDCScope('openid offline_access api');
  grant.addResourceScope(resource, 'api');
  const grantId = await grant.save();
  return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`node-oidc-provider listening on ${issuer}`);
});
