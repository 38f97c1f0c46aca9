/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_identity_cred.c - libFuzzer target for ku_cred_parse, the reading of
 * an identity Location's Authorization header (README "Identity
 * passthrough"), and ku_cred_key.
 *
 * The input up to its first NUL is the header; the first byte's low bit
 * picks Basic or Bearer. Invariants:
 *  1. Basic accepted: a non-empty user without ':' and a password, and the
 *     same user and password once they are encoded again and read back;
 *  2. Bearer accepted: the token is the header's value, a sub without
 *     spaces or quotes, an exp in whole seconds after the epoch;
 *  3. the key of an accepted credential is the same when made twice, and
 *     differs from the key of the same credential under another mechanism.
 */
#include "fuzz_common.h"
#include "identity_cred.h"

static void check_basic(const ku_cred_t *c)
{
    char *plain, *b64, *header;
    ku_cred_t again;
    size_t n;

    FZ_CHECK(c->user && *c->user && !strchr(c->user, ':'), "Basic user");
    FZ_CHECK(c->password != NULL, "Basic password");
    plain = apr_pstrcat(fz_pool, c->user, ":", c->password, NULL);
    n = strlen(plain);
    b64 = apr_palloc(fz_pool, (apr_size_t)apr_base64_encode_len((int)n));
    apr_base64_encode(b64, plain, (int)n);
    header = apr_pstrcat(fz_pool, "Basic ", b64, NULL);
    FZ_CHECK(!ku_cred_parse(fz_pool, header, KU_CRED_BASIC, &again), "re-encoded Basic refused");
    FZ_CHECK(!strcmp(again.user, c->user) && !strcmp(again.password, c->password),
             "re-encoded Basic reads back differently");
}

static void check_bearer(const ku_cred_t *c, const char *header)
{
    FZ_CHECK(c->token && strstr(header, c->token), "Bearer token is the header's");
    FZ_CHECK(c->user && *c->user && !strpbrk(c->user, " \t\r\n\""), "Bearer sub");
    FZ_CHECK(c->expires_ms > 0 && c->expires_ms % 1000 == 0, "Bearer exp");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header;
    ku_cred_t cred;
    ku_cred_kind_t kind;
    unsigned char k1[KU_CRED_KEY_LEN], k2[KU_CRED_KEY_LEN], k3[KU_CRED_KEY_LEN];

    if (size < 1)
        return 0;
    kind = (data[0] & 1) ? KU_CRED_BEARER : KU_CRED_BASIC;
    header = fz_cstr(data + 1, size - 1);
    if (!ku_cred_parse(fz_pool, header, kind, &cred)) {
        if (kind == KU_CRED_BASIC)
            check_basic(&cred);
        else
            check_bearer(&cred, header);
        ku_cred_key("settings", "PLAIN", &cred, k1);
        ku_cred_key("settings", "PLAIN", &cred, k2);
        ku_cred_key("settings", "SCRAM-SHA-256", &cred, k3);
        FZ_CHECK(!memcmp(k1, k2, sizeof(k1)), "key differs when made twice");
        FZ_CHECK(memcmp(k1, k3, sizeof(k1)), "key ignores the mechanism");
    }
    free(header);
    apr_pool_clear(fz_pool);
    return 0;
}
