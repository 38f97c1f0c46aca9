// SPDX-License-Identifier: Apache-2.0
// The OAuth2 server for t/13_oauth.t: panva's oidc-provider (a certified
// OpenID Provider, from npm), configured for the client credentials grant
// with JWT access tokens, as a managed Kafka's identity provider would be.
//
//   node provider.mjs KEYS_JSON HTTP_PORT [HTTPS_PORT CERT_PEM]
//
// KEYS_JSON: {"keys": [private JWK]} (t/oauth/servers.sh makes it), so that
// every instance started with it signs alike: the broker validates through
// the JWKS at /jwks whichever instance issued the token. The issuer is
// fixed (KU_OAUTH_ISSUER), not taken from the request's Host.
//
// Clients (client_secret_basic, as librdkafka sends them):
//   ku-client / ku-secret-1      tokens for the audience "kafka", 300 s
//   ku-short / ku-short-secret   the same, 20 s: refreshed under traffic
//   ku-other / ku-other-secret   tokens for the audience "not-kafka": the
//                                broker refuses them
//   ku-registry / ku-registry-secret  tokens for the audience "registry"
//                                (t/62_registry_oauth.t's Schema Registry), 300 s
//   ku-stale / ku-stale-secret   the same, but the token lives 2 s while the
//                                answer says 300 s (expires_in): the registry
//                                refuses it (401) before the client renews it
// Each token request is logged as one line: time, client, HTTP status.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import Provider from 'oidc-provider';

const [keysFile, httpPort, httpsPort, certPem] = process.argv.slice(2);
const issuer = process.env.KU_OAUTH_ISSUER;
if (!keysFile || !httpPort || !issuer) {
    console.error('usage: KU_OAUTH_ISSUER=URL node provider.mjs KEYS_JSON HTTP_PORT [HTTPS_PORT CERT_PEM]');
    process.exit(2);
}

const resources = {
    'urn:ku:kafka': { audience: 'kafka' },
    'urn:ku:not-kafka': { audience: 'not-kafka' },
    'urn:ku:registry': { audience: 'registry' },
};
const clients = {
    'ku-client': { secret: 'ku-secret-1', resource: 'urn:ku:kafka', ttl: 300 },
    'ku-short': { secret: 'ku-short-secret', resource: 'urn:ku:kafka', ttl: 20 },
    'ku-other': { secret: 'ku-other-secret', resource: 'urn:ku:not-kafka', ttl: 300 },
    'ku-registry': { secret: 'ku-registry-secret', resource: 'urn:ku:registry', ttl: 300 },
    'ku-stale': { secret: 'ku-stale-secret', resource: 'urn:ku:registry', ttl: 2, says: 300 },
};

const provider = new Provider(issuer, {
    jwks: JSON.parse(fs.readFileSync(keysFile, 'utf8')),
    clients: Object.entries(clients).map(([id, c]) => ({
        client_id: id,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'kafka.produce',
    })),
    scopes: ['kafka.produce'],
    features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
            enabled: true,
            defaultResource: (ctx, client) => clients[client.clientId].resource,
            useGrantedResource: () => true,
            getResourceServerInfo: (ctx, resource, client) => ({
                scope: 'kafka.produce',
                audience: resources[resource].audience,
                accessTokenTTL: clients[client.clientId].ttl,
                accessTokenFormat: 'jwt',
            }),
        },
    },
    ttl: { ClientCredentials: (ctx, token, client) => clients[client.clientId].ttl },
    routes: { token: '/token', jwks: '/jwks' },
});
provider.proxy = false;

// One line per token request, for the test to count refreshes.
provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token') {
        const auth = ctx.get('authorization');
        const id = auth.startsWith('Basic ')
            ? Buffer.from(auth.slice(6), 'base64').toString().split(':')[0] : '-';
        if (ctx.status === 200 && clients[id]?.says && ctx.body?.expires_in)
            ctx.body.expires_in = clients[id].says;
        console.log(`${new Date().toISOString()} token ${id} ${ctx.status} http/${ctx.req.httpVersion}`);
    }
});

http.createServer(provider.callback()).listen(Number(httpPort), '127.0.0.1');
if (httpsPort) {
    const pem = fs.readFileSync(certPem);
    https.createServer({ key: pem, cert: pem }, provider.callback())
        .listen(Number(httpsPort), '127.0.0.1');
}
console.log(`oidc-provider ${issuer} on 127.0.0.1:${httpPort}${httpsPort ? ` and https ${httpsPort}` : ''}`);
