/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry_token.h: the schema registry's OAuth2 bearer token
 * (client credentials grant), cached per child. No httpd. */
#ifndef KU_SCHEMA_REGISTRY_TOKEN_H
#define KU_SCHEMA_REGISTRY_TOKEN_H

#include <time.h>

#include "apr_pools.h"
#include "schema_registry_conf.h"

/* The bearer token of conf's OAuth2 client (conf->oauth_url set): the
 * child's cached one until shortly before it expires, else a new one from
 * the token endpoint (one request at a time per child). refused: a token
 * the registry answered 401 to, or NULL; a cached token equal to it is
 * dropped and a new one asked for. NULL and *error (never holding the
 * secret or a token) when the endpoint gave none. */
const char *ku_sr_token(apr_pool_t *p, const ku_sr_conf_t *conf, const char *refused,
                        const char **error);

/* The token endpoint's answer (RFC 6749 5.1): *token (a b64token, RFC
 * 6750 2.1) and *expires_in (seconds; 60 when the answer has none).
 * 0 and *error when it has no usable token. */
int ku_sr_token_parse(apr_pool_t *p, const char *answer, const char **token, long *expires_in,
                      const char **error);

/* When a token granted at now for expires_in seconds is renewed: a tenth
 * of its life before it expires (1 to 30 seconds), so no request carries
 * a token that expires on its way. */
time_t ku_sr_token_renew_at(time_t now, long expires_in);

#endif
