/* SPDX-License-Identifier: Apache-2.0 */
/* identity_cred.c: the Authorization header of an identity Location, and
 * the pool key of the producer it needs (README "Identity passthrough"). */
#include <string.h>
#include <strings.h>

#include "apr_base64.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "identity_cred.h"

/* Longest header value looked at: tokens are a few KB at most. */
#define KU_CRED_MAX 16384

void ku_cred_wipe(void *secret, size_t len)
{
    if (secret && len)
        OPENSSL_cleanse(secret, len);
}

/* The value after "<scheme> " (scheme case-insensitive), or NULL. */
static const char *after_scheme(const char *header, const char *scheme)
{
    size_t n = strlen(scheme);

    if (strncasecmp(header, scheme, n) || header[n] != ' ')
        return NULL;
    header += n;
    while (*header == ' ')
        header++;
    return header;
}

/* Padding only at the end, at most two. */
static int padding_ok(const char *s, size_t n)
{
    const char *eq = strchr(s, '=');

    if (!eq)
        return 1;
    if (eq == s || eq < s + n - 2)
        return 0;
    for (; *eq; eq++)
        if (*eq != '=')
            return 0;
    return 1;
}

/* Decodes standard base64 (Basic) or base64url (JWT) with or without
 * padding; NULL when it is not base64. */
static char *decode64(apr_pool_t *p, const char *in, int url, size_t *len)
{
    size_t n = strlen(in), i;
    char *std = apr_palloc(p, n + 4), *out;

    for (i = 0; i < n; i++) {
        char c = in[i];
        if (url && (c == '+' || c == '/' || c == '='))
            return NULL;
        if (url)
            c = c == '-' ? '+' : c == '_' ? '/' : c;
        if (!(apr_isalnum(c) || c == '+' || c == '/' || (!url && c == '=')))
            return NULL;
        std[i] = c;
    }
    while (n % 4)
        std[n++] = '=';
    std[n] = '\0';
    if (!padding_ok(std, n))
        return NULL;
    out = apr_palloc(p, (apr_size_t)apr_base64_decode_len(std) + 1);
    *len = (size_t)apr_base64_decode(out, std);
    out[*len] = '\0';
    return out;
}

static const char *parse_basic(apr_pool_t *p, const char *value, ku_cred_t *cred)
{
    size_t len;
    char *plain = decode64(p, value, 0, &len), *colon;

    if (!plain || !len)
        return "Basic credentials that are not base64";
    if (memchr(plain, '\0', len))
        return "Basic credentials with a NUL byte";
    if (!(colon = strchr(plain, ':')) || colon == plain)
        return "Basic credentials without user:password";
    *colon = '\0';
    cred->user = plain;
    cred->password = colon + 1;
    return NULL;
}

/* A JWT's claims this module needs: sub (librdkafka wants a principal
 * name) and exp (the token's lifetime). Nothing here is trusted: the
 * broker verifies the token. */
static const char *jwt_claims(apr_pool_t *p, const char *token, ku_cred_t *cred)
{
    const char *dot1 = strchr(token, '.'), *dot2;
    char *payload;
    size_t len;
    json_object *claims, *sub, *exp;
    const char *error = NULL;

    if (!dot1 || !(dot2 = strchr(dot1 + 1, '.')) || strchr(dot2 + 1, '.'))
        return "a Bearer token that is no JWT";
    payload = decode64(p, apr_pstrmemdup(p, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1)), 1, &len);
    if (!payload || !(claims = json_tokener_parse(payload)))
        return "a Bearer token whose claims are not JSON";
    if (!json_object_is_type(claims, json_type_object)
        || !json_object_object_get_ex(claims, "sub", &sub)
        || !json_object_is_type(sub, json_type_string) || !json_object_get_string_len(sub)
        || strpbrk(json_object_get_string(sub), " \t\r\n\""))
        error = "a Bearer token without a usable sub";
    else if (!json_object_object_get_ex(claims, "exp", &exp)
             || !(json_object_is_type(exp, json_type_int)
                  || json_object_is_type(exp, json_type_double))
             || json_object_get_int64(exp) <= 0 || json_object_get_int64(exp) > 32503680000LL)
        error = "a Bearer token without a usable exp";
    else {
        cred->user = apr_pstrdup(p, json_object_get_string(sub));
        cred->expires_ms = json_object_get_int64(exp) * 1000;
    }
    json_object_put(claims);
    return error;
}

static int is_token68(const char *s)
{
    for (; *s; s++)
        if (!(apr_isalnum(*s) || strchr("-._~+/=", *s)))
            return 0;
    return 1;
}

const char *ku_cred_parse(apr_pool_t *p, const char *header, ku_cred_kind_t kind,
                          ku_cred_t *cred)
{
    const char *value;

    memset(cred, 0, sizeof(*cred));
    cred->kind = kind;
    if (!header || !*header)
        return "no credentials";
    if (strlen(header) > KU_CRED_MAX)
        return "credentials too long";
    value = after_scheme(header, kind == KU_CRED_BASIC ? "Basic" : "Bearer");
    if (!value || !*value)
        return kind == KU_CRED_BASIC ? "no Basic credentials" : "no Bearer token";
    if (kind == KU_CRED_BASIC)
        return parse_basic(p, value, cred);
    if (!is_token68(value))
        return "a Bearer token with characters a token cannot have";
    cred->token = value;
    return jwt_claims(p, value, cred);
}

static void hash_part(EVP_MD_CTX *md, const char *s, size_t len)
{
    unsigned char n[8];
    int i;

    for (i = 0; i < 8; i++)
        n[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    EVP_DigestUpdate(md, n, sizeof(n));
    EVP_DigestUpdate(md, s, len);
}

void ku_cred_key(const char *settings, const char *mechanism, const ku_cred_t *cred,
                 unsigned char key[KU_CRED_KEY_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = KU_CRED_KEY_LEN;

    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    hash_part(md, settings, strlen(settings));
    hash_part(md, mechanism, strlen(mechanism));
    if (cred->kind == KU_CRED_BEARER)
        hash_part(md, cred->token, strlen(cred->token));
    else {
        hash_part(md, cred->user, strlen(cred->user));
        hash_part(md, cred->password, strlen(cred->password));
    }
    EVP_DigestFinal_ex(md, key, &len);
    EVP_MD_CTX_free(md);
}
