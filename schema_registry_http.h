/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry_http.h: a libcurl request set up for one registry
 * Location, the part the registry's calls (schema_registry.c) and its
 * OAuth2 token endpoint (schema_registry_token.c) share, so both keep the
 * same timeouts, protocols and TLS verification; and the answer's
 * collector. No httpd. */
#ifndef KU_SCHEMA_REGISTRY_HTTP_H
#define KU_SCHEMA_REGISTRY_HTTP_H

#include <stddef.h>

#include <curl/curl.h>
#include "apr_pools.h"
#include "schema_registry_conf.h"

/* An answer, collected in p; one longer than max bytes stops the transfer. */
typedef struct {
    apr_pool_t *p;
    size_t max;
    char *data;               /* NUL-terminated; NULL: nothing came */
    size_t len;
} ku_sr_answer_t;

/* A handle that asks url under conf's TLS settings (verification, CA file)
 * with the shared timeouts and protocols, collecting into answer (its p
 * and max set); NULL when libcurl gives none. The caller adds what its
 * call needs (credentials, headers, a body), performs and cleans up. */
CURL *ku_sr_curl_for(const ku_sr_conf_t *conf, const char *url, ku_sr_answer_t *answer);

#endif
