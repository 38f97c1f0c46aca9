/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for schema_cache_key.c: every setting that decides whether a
 * Location may have a schema, or which one, changes the key; the password
 * and the OAuth2 client secret are never in it. */
#include <string.h>

#include "apr_general.h"
#include "schema_cache_key.h"
#include "check.h"

static const ku_sr_conf_t base = {
    .url = "https://sr.example:8081", .ttl = 300, .ssl_verify = 1,
    .ca_file = "/etc/ku/ca.pem", .user = "alice", .password = "s3cret-pass",
    .headers = "target-sr-cluster: lsrc-1\nX-Api-Key: k3y-value\n",
    .cert_file = "/etc/ku/client.pem",
    .key_pem = "-----BEGIN PRIVATE KEY-----\nk3y-pem\n-----END PRIVATE KEY-----\n",
    .oauth_url = "https://idp.example/token", .oauth_client = "ku-registry",
    .oauth_secret = "0auth-s3cret", .oauth_scope = "schema.read other",
    .oauth_audience = "registry",
};

static int differs(apr_pool_t *p, const ku_sr_conf_t *other, const char *subject,
                   const char *version)
{
    return strcmp(ku_sr_cache_key(p, &base, "orders-value", "latest", NULL),
                  ku_sr_cache_key(p, other, subject, version, NULL)) != 0;
}

static void test_each_setting(apr_pool_t *p)
{
    ku_sr_conf_t c;

    CHECK("the same settings: the same key", !differs(p, &base, "orders-value", "latest"));
    c = base, c.url = "https://sr.example:8082";
    CHECK("another URL: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.user = "bob";
    CHECK("another user: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.user = NULL, c.password = NULL;
    CHECK("no credentials: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.password = "s3cret-pasS";
    CHECK("another password: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.headers = NULL;
    CHECK("no extra headers: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.headers = "target-sr-cluster: lsrc-1\nX-Api-Key: k3y-valuE\n";
    CHECK("another header value: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.headers = "target-sr-cluster: lsrc-1\n";
    CHECK("one header fewer: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.cert_file = NULL, c.key_pem = NULL;
    CHECK("no client certificate: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.cert_file = "/etc/ku/other-client.pem";
    CHECK("another client certificate: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.key_pem = "-----BEGIN PRIVATE KEY-----\nk3y-peM\n-----END PRIVATE KEY-----\n";
    CHECK("another client key: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.ssl_verify = 0;
    CHECK("verification off: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.ca_file = NULL;
    CHECK("the system's CAs: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.ca_file = "/etc/ku/other.pem";
    CHECK("another CA file: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.ttl = 0;
    CHECK("another TTL: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_url = NULL, c.oauth_client = NULL, c.oauth_secret = NULL;
    CHECK("no OAuth2 client: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_url = "https://idp.example/token2";
    CHECK("another token endpoint: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_client = "ku-other";
    CHECK("another OAuth2 client id: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_secret = "0auth-s3creT";
    CHECK("another OAuth2 client secret: another key",
          differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_scope = "schema.read";
    CHECK("other scopes: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_scope = NULL;
    CHECK("no scopes: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_audience = "registry2";
    CHECK("another audience: another key", differs(p, &c, "orders-value", "latest"));
    c = base, c.oauth_audience = NULL;
    CHECK("no audience: another key", differs(p, &c, "orders-value", "latest"));
    CHECK("another subject: another key", differs(p, &base, "orders-key", "latest"));
    CHECK("another version: another key", differs(p, &base, "orders-value", "1"));
}

/* Parts are length-prefixed: moving bytes from one part to the next is
 * another key. */
static void test_no_ambiguity(apr_pool_t *p)
{
    ku_sr_conf_t a = base, b = base;

    CHECK("subject 'a' version '1;' vs subject 'a;' version '1'",
          strcmp(ku_sr_cache_key(p, &base, "a", "1;", NULL), ku_sr_cache_key(p, &base, "a;", "1", NULL)) != 0);
    CHECK("message pkg.A vs the first message",
          strcmp(ku_sr_cache_key(p, &base, "a", "1", "pkg.A"),
                 ku_sr_cache_key(p, &base, "a", "1", NULL)) != 0);
    CHECK("message pkg.A vs pkg.B",
          strcmp(ku_sr_cache_key(p, &base, "a", "1", "pkg.A"),
                 ku_sr_cache_key(p, &base, "a", "1", "pkg.B")) != 0);
    a.oauth_scope = "a b", a.oauth_audience = "c";
    b.oauth_scope = "a", b.oauth_audience = "b c";
    CHECK("scope 'a b' audience 'c' vs scope 'a' audience 'b c'",
          strcmp(ku_sr_token_key(p, &a), ku_sr_token_key(p, &b)) != 0);
    a = base, b = base;
    a.user = "";
    b.user = NULL;
    CHECK("an empty user vs none", strcmp(ku_sr_cache_key(p, &a, "x", "1", NULL),
                                          ku_sr_cache_key(p, &b, "x", "1", NULL)) != 0);
}

static void test_no_secret(apr_pool_t *p)
{
    const char *key = ku_sr_cache_key(p, &base, "orders-value", "latest", NULL);

    CHECK("the password is not in the key", strstr(key, "s3cret") == NULL);
    CHECK("no header value is in the key", strstr(key, "k3y-value") == NULL
                                           && strstr(key, "lsrc-1") == NULL);
    CHECK("the client key is not in the key", strstr(key, "k3y-pem") == NULL);
    CHECK("the OAuth2 client secret is not in the key", strstr(key, "0auth-s3cret") == NULL);
    CHECK("nor in the token's key",
          strstr(ku_sr_token_key(p, &base), "0auth-s3cret") == NULL);
    /* SHA-256("s3cret-pass"), worked out with `printf %s s3cret-pass | sha256sum`. */
    CHECK("its SHA-256 is", strstr(key, "64:926d3a2dd68393416b7a8348aaadfe4e0c56de6259e17078a0fa1f4dd6e519ae;") != NULL);
}

/* Schemas asked by id and inline schemas registered: a Location's settings
 * count as for a subject/version, and the three kinds never meet. */
static void test_id_and_registered(apr_pool_t *p)
{
    ku_sr_conf_t other = base;

    other.password = "another";
    CHECK("id: the same settings, the same key",
          !strcmp(ku_sr_cache_key_id(p, &base, 7), ku_sr_cache_key_id(p, &base, 7)));
    CHECK("id: another id, another key",
          strcmp(ku_sr_cache_key_id(p, &base, 7), ku_sr_cache_key_id(p, &base, 70)) != 0);
    CHECK("id: another password, another key",
          strcmp(ku_sr_cache_key_id(p, &base, 7), ku_sr_cache_key_id(p, &other, 7)) != 0);
    CHECK("id vs subject/version: other keys",
          strcmp(ku_sr_cache_key_id(p, &base, 7), ku_sr_cache_key(p, &base, "id 7", "", NULL)) != 0);
    CHECK("registered: another text, another key",
          strcmp(ku_sr_cache_key_registered(p, &base, "t-value", "AVRO", "\"int\""),
                 ku_sr_cache_key_registered(p, &base, "t-value", "AVRO", "\"long\"")) != 0);
    CHECK("registered: another type, another key",
          strcmp(ku_sr_cache_key_registered(p, &base, "t-value", "AVRO", "{}"),
                 ku_sr_cache_key_registered(p, &base, "t-value", "JSON", "{}")) != 0);
    CHECK("registered: another subject, another key",
          strcmp(ku_sr_cache_key_registered(p, &base, "t-value", "AVRO", "{}"),
                 ku_sr_cache_key_registered(p, &base, "t-key", "AVRO", "{}")) != 0);
    CHECK("registered: another password, another key",
          strcmp(ku_sr_cache_key_registered(p, &base, "t-value", "AVRO", "{}"),
                 ku_sr_cache_key_registered(p, &other, "t-value", "AVRO", "{}")) != 0);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_each_setting(p);
    test_no_ambiguity(p);
    test_no_secret(p);
    test_id_and_registered(p);
    printf("%d passed, %d failed\n", passed, failed);
    apr_terminate();
    return failed != 0;
}
