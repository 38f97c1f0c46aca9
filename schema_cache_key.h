/* SPDX-License-Identifier: Apache-2.0 */
/* schema_cache_key.h: the key of a cached registry answer. No httpd. */
#ifndef KU_SCHEMA_CACHE_KEY_H
#define KU_SCHEMA_CACHE_KEY_H

#include "apr_pools.h"
#include "schema_registry_conf.h"

/* Everything that decides whether a Location may have a schema and which
 * one it gets: the registry URL, the credentials (the password and the
 * extra headers as SHA-256s, never in clear), the client certificate
 * (its file, and its key as a SHA-256), the TLS settings, the TTL, the
 * OAuth2 client (ku_sr_token_key), the subject, the version and the
 * Protobuf message (NULL: the first). Two
 * Locations share a cached schema (or a cached failure) only
 * when all of these are equal. A new field of ku_sr_conf_t belongs here. */
const char *ku_sr_cache_key(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, const char *message);

/* The OAuth2 client a registry token belongs to: the token endpoint, the
 * client id, the secret as a SHA-256, the scopes, the audiences and the TLS
 * settings it is asked with. Part of ku_sr_cache_key. */
const char *ku_sr_token_key(apr_pool_t *p, const ku_sr_conf_t *conf);
/* The key of schema id's answer: the same settings, and the id. */
const char *ku_sr_cache_key_id(apr_pool_t *p, const ku_sr_conf_t *conf, int id);

/* The key of a schema registered under subject: the same settings, the
 * subject, the schema type and the schema text (as its SHA-256). */
const char *ku_sr_cache_key_registered(apr_pool_t *p, const ku_sr_conf_t *conf,
                                       const char *subject, const char *type,
                                       const char *schema);

#endif
