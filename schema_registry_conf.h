/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry_conf.h: where and how the registry client asks, for the
 * client (schema_registry.c) and its cache key (schema_cache_key.c). No
 * httpd. */
#ifndef KU_SCHEMA_REGISTRY_CONF_H
#define KU_SCHEMA_REGISTRY_CONF_H

/* Where and how to ask. */
typedef struct {
    const char *url;          /* base, e.g. http://host:8081 (no trailing /) */
    int ttl;                  /* seconds a fetched schema is used */
    int ssl_verify;
    const char *ca_file;      /* NULL: the system's */
    const char *user;         /* NULL: no basic auth */
    const char *password;
    const char *headers;      /* NULL, or "Name: value\n" lines sent on every request */
    const char *cert_file;    /* NULL, or mTLS: the client certificate (PEM file) */
    const char *key_pem;      /* and its key (PEM text) */
    /* OAuth2 client credentials (schema_registry_token.c); oauth_url NULL: none. */
    const char *oauth_url;    /* the token endpoint */
    const char *oauth_client; /* client id */
    const char *oauth_secret; /* client secret */
    const char *oauth_scope;  /* NULL, or space separated scopes */
    const char *oauth_audience; /* NULL, or space separated audiences */
} ku_sr_conf_t;

#endif
