/* SPDX-License-Identifier: Apache-2.0 */
/* schema_cache_key.c: the key of a cached registry answer (see the header).
 * Each part is written with its length first, so no two different sets of
 * settings can spell the same key whatever bytes they hold. */
#include <string.h>

#include <openssl/evp.h>
#include "apr_strings.h"

#include "schema_cache_key.h"

static const char *part(apr_pool_t *p, const char *value)
{
    if (!value)
        return "-;";
    return apr_psprintf(p, "%" APR_SIZE_T_FMT ":%s;", strlen(value), value);
}

/* A secret's SHA-256 in hex (the password, the extra headers, the OAuth2
 * client secret): equal
 * secrets give equal keys, and the key (unlike the configuration) never
 * holds the secret itself. */
static const char *secret_digest(apr_pool_t *p, const char *secret)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *hex;

    if (!secret)
        return NULL;
    if (!EVP_Digest(secret, strlen(secret), md, &n, EVP_sha256(), NULL))
        return "?";           /* cannot happen with OpenSSL's own SHA-256 */
    hex = apr_palloc(p, 2 * n + 1);
    for (i = 0; i < n; i++)
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[2 * n] = '\0';
    return hex;
}

const char *ku_sr_token_key(apr_pool_t *p, const ku_sr_conf_t *conf)
{
    return apr_pstrcat(p, part(p, conf->oauth_url), part(p, conf->oauth_client),
                       part(p, secret_digest(p, conf->oauth_secret)),
                       part(p, conf->oauth_scope), part(p, conf->oauth_audience),
                       conf->ssl_verify ? "verify;" : "no-verify;", part(p, conf->ca_file),
                       NULL);
}

/* Everything but what is asked: the settings a Location asks with. */
static const char *settings(apr_pool_t *p, const ku_sr_conf_t *conf)
{
    return apr_pstrcat(p, part(p, conf->url), part(p, conf->user),
                       part(p, secret_digest(p, conf->password)),
                       part(p, secret_digest(p, conf->headers)),
                       part(p, conf->cert_file), part(p, secret_digest(p, conf->key_pem)),
                       conf->ssl_verify ? "verify;" : "no-verify;", part(p, conf->ca_file),
                       apr_psprintf(p, "ttl %d;", conf->ttl), ku_sr_token_key(p, conf), NULL);
}

/* What is asked starts with a word of its own, so a subject/version, an
 * id and a registration never spell the same key. */
const char *ku_sr_cache_key(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, const char *message)
{
    return apr_pstrcat(p, settings(p, conf), "version;", part(p, subject), part(p, version),
                       part(p, message), NULL);
}

const char *ku_sr_cache_key_id(apr_pool_t *p, const ku_sr_conf_t *conf, int id)
{
    return apr_pstrcat(p, settings(p, conf), apr_psprintf(p, "id %d;", id), NULL);
}

const char *ku_sr_cache_key_registered(apr_pool_t *p, const ku_sr_conf_t *conf,
                                       const char *subject, const char *type,
                                       const char *schema)
{
    return apr_pstrcat(p, settings(p, conf), "registered;", part(p, subject), part(p, type),
                       part(p, secret_digest(p, schema)), NULL);
}
