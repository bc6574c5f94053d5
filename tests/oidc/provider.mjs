// The OpenID provider of the OIDC tests: oidc-provider (the certified Node.js implementation)
// on loopback, with its development login form (any password; the login names an account).
// Usage: node provider.mjs CONFIG.json. The config names the issuer and port, the signing keys
// (private JWKs, the first signs), the clients, and the accounts with their groups. Accounts are
// read again from the file at each sign-in and refresh, so a test can change someone's groups.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const path = process.argv[2];
const config = JSON.parse(readFileSync(path, "utf8"));
const accounts = () => JSON.parse(readFileSync(path, "utf8")).accounts;

const provider = new Provider(config.issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    ...c,
  })),
  jwks: { keys: config.keys },
  cookies: { keys: ["incus-webui tests, not a secret"] },
  claims: {
    openid: ["sub"],
    profile: ["preferred_username", "name"],
    email: ["email"],
    groups: ["groups"],
  },
  scopes: ["openid", "offline_access", "profile", "email", "groups"],
  conformIdTokenClaims: false, // the groups in the ID token itself, as Keycloak and Dex send them
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed("refresh_token"),
  ttl: { IdToken: config.id_token_ttl || 3600 },
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, email: `${id}@example.test`, ...account };
      },
    };
  },
  // First-party client: no consent screen, every scope and claim it asks for is granted.
  async loadExistingGrant(ctx) {
    const clientId = ctx.oidc.client.clientId;
    const existing = ctx.oidc.session.grantIdFor(clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid offline_access profile email groups");
    grant.addOIDCClaims(["preferred_username", "name", "email", "groups"]);
    await grant.save();
    return grant;
  },
});
provider.on("server_error", (ctx, err) => console.error("server_error", err));

createServer(provider.callback()).listen(config.port, "127.0.0.1", () => {
  console.log(`listening ${config.issuer}`);
});
