/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of identity_pool.c and identity_cred.c (README "Identity
 * passthrough"): the pool's bounds, LRU eviction, idle closing, busy
 * refusals and doomed slots; the Authorization header's reading and the
 * key that never rests on a claim alone. */
#include <string.h>

#include "apr_general.h"
#include "apr_base64.h"
#include "apr_strings.h"

#include "identity_cred.h"
#include "identity_pool.h"
#include "check.h"

static int in_flight_value; /* the value whose messages are in flight */

static int in_flight(void *value)
{
    return (int)(intptr_t)value == in_flight_value;
}

static const unsigned char *key(int n)
{
    static unsigned char k[8][KU_CRED_KEY_LEN];

    memset(k[n], n, KU_CRED_KEY_LEN);
    return k[n];
}

#define V(n) ((void *)(intptr_t)(n))

static void test_pool(apr_pool_t *p)
{
    ku_idpool_t *pool = ku_idpool_make(p, 2, apr_time_from_sec(30), in_flight);
    void *closing[2], *value;
    int slot, slot2, held2, held3, again3, other, n;
    ku_idpool_counts_t c;

    CHECK("a new identity gets a slot to fill",
          ku_idpool_acquire(pool, key(1), 1000, &slot, &value, closing, &n) == KU_IDPOOL_NEW);
    CHECK("another request for it meanwhile waits",
          ku_idpool_acquire(pool, key(1), 1000, &slot2, &value, closing, &n) == KU_IDPOOL_MAKING);
    ku_idpool_fill(pool, slot, V(1));
    ku_idpool_release(pool, slot, 0, 1000);
    CHECK("then finds it", ku_idpool_acquire(pool, key(1), 2000, &slot, &value, closing, &n)
                           == KU_IDPOOL_FOUND && value == V(1));
    ku_idpool_release(pool, slot, 0, 2000);
    ku_idpool_acquire(pool, key(2), 3000, &slot, &value, closing, &n);
    ku_idpool_fill(pool, slot, V(2));
    ku_idpool_release(pool, slot, 0, 3000);
    CHECK("a third identity evicts the least recently used",
          ku_idpool_acquire(pool, key(3), 4000, &slot, &value, closing, &n) == KU_IDPOOL_NEW
          && n == 1 && closing[0] == V(1));
    ku_idpool_fill(pool, slot, V(3));
    held3 = slot;
    /* 2 idle, 3 held: a fourth evicts 2, unless 2 has messages in flight. */
    in_flight_value = 2;
    CHECK("nothing evicted while its messages are in flight: refused",
          ku_idpool_acquire(pool, key(4), 5000, &other, &value, closing, &n) == KU_IDPOOL_FULL
          && n == 0);
    in_flight_value = 0;
    ku_idpool_acquire(pool, key(2), 5000, &held2, &value, closing, &n);
    CHECK("every slot held: refused",
          ku_idpool_acquire(pool, key(4), 5000, &other, &value, closing, &n) == KU_IDPOOL_FULL);
    ku_idpool_counts(pool, &c);
    CHECK("refusals counted", c.refused == 2 && c.evicted == 1 && c.open == 2);
    /* Two holders of 3; one's login was refused: the last one closes it. */
    ku_idpool_acquire(pool, key(3), 6000, &again3, &value, closing, &n);
    CHECK("a doomed slot is not closed while held",
          ku_idpool_release(pool, held3, 1, 6000) == NULL);
    CHECK("nor found again", ku_idpool_acquire(pool, key(3), 6000, &other, &value, closing, &n)
                             == KU_IDPOOL_FULL);
    CHECK("its last holder closes it", ku_idpool_release(pool, again3, 0, 6000) == V(3));
    ku_idpool_release(pool, held2, 0, 6000);
    CHECK("idle ones are closed after the idle time",
          ku_idpool_acquire(pool, key(5), 6000 + apr_time_from_sec(31), &other, &value,
                            closing, &n) == KU_IDPOOL_NEW && n == 1 && closing[0] == V(2));
}

static const char *b64(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)strlen(s)));

    apr_base64_encode(out, s, (int)strlen(s));
    return out;
}

static const char *b64url(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, b64(p, s)), *c;

    for (c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c == '=' ? '\0' : *c;
    return out;
}

static const char *jwt(apr_pool_t *p, const char *claims, const char *sig)
{
    return apr_pstrcat(p, "Bearer ", b64url(p, "{\"alg\":\"RS256\"}"), ".", b64url(p, claims),
                       ".", sig, NULL);
}

static void test_cred(apr_pool_t *p)
{
    ku_cred_t a, b;
    unsigned char ka[KU_CRED_KEY_LEN], kb[KU_CRED_KEY_LEN];

    CHECK("Basic", !ku_cred_parse(p, apr_pstrcat(p, "Basic ", b64(p, "alice:s:e"), NULL),
                                  KU_CRED_BASIC, &a)
                   && !strcmp(a.user, "alice") && !strcmp(a.password, "s:e"));
    CHECK("no credentials", ku_cred_parse(p, NULL, KU_CRED_BASIC, &a) != NULL);
    CHECK("Bearer where Basic is wanted",
          ku_cred_parse(p, "Bearer abc", KU_CRED_BASIC, &a) != NULL);
    CHECK("Basic without a colon",
          ku_cred_parse(p, apr_pstrcat(p, "Basic ", b64(p, "alice"), NULL), KU_CRED_BASIC, &a));
    CHECK("Basic that is not base64", ku_cred_parse(p, "Basic a!b", KU_CRED_BASIC, &a) != NULL);
    CHECK("Bearer JWT", !ku_cred_parse(p, jwt(p, "{\"sub\":\"ku-client\",\"exp\":2000000000}",
                                             "c2ln"), KU_CRED_BEARER, &a)
                        && !strcmp(a.user, "ku-client") && a.expires_ms == 2000000000000LL);
    CHECK("Bearer without exp", ku_cred_parse(p, jwt(p, "{\"sub\":\"x\"}", "c2ln"),
                                              KU_CRED_BEARER, &a) != NULL);
    CHECK("Bearer that is no JWT", ku_cred_parse(p, "Bearer abc", KU_CRED_BEARER, &a) != NULL);
    /* The same sub in two tokens (one forged): two keys. */
    ku_cred_parse(p, jwt(p, "{\"sub\":\"ku-client\",\"exp\":2000000000}", "c2ln"),
                  KU_CRED_BEARER, &a);
    ku_cred_parse(p, jwt(p, "{\"sub\":\"ku-client\",\"exp\":2000000000}", "Zm9yZ2Vk"),
                  KU_CRED_BEARER, &b);
    ku_cred_key("s", "OAUTHBEARER", &a, ka);
    ku_cred_key("s", "OAUTHBEARER", &b, kb);
    CHECK("a claim alone never makes the key", memcmp(ka, kb, sizeof(ka)) != 0);
    ku_cred_parse(p, apr_pstrcat(p, "Basic ", b64(p, "alice:one"), NULL), KU_CRED_BASIC, &a);
    ku_cred_parse(p, apr_pstrcat(p, "Basic ", b64(p, "alice:two"), NULL), KU_CRED_BASIC, &b);
    ku_cred_key("s", "PLAIN", &a, ka);
    ku_cred_key("s", "PLAIN", &b, kb);
    CHECK("another password, another key", memcmp(ka, kb, sizeof(ka)) != 0);
    ku_cred_key("t", "PLAIN", &a, kb);
    CHECK("other settings, another key", memcmp(ka, kb, sizeof(ka)) != 0);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_pool(p);
    test_cred(p);
    apr_pool_destroy(p);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
