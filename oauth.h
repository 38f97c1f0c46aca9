/* SPDX-License-Identifier: Apache-2.0 */
/* oauth.h: SASL OAUTHBEARER with OIDC client credentials (Kong
 * authentication.mechanism OAUTHBEARER): the KafkaUpstreamOAuth*
 * directives, their checks, the librdkafka properties they become
 * (librdkafka's own OIDC support: sasl.oauthbearer.method=oidc) and the
 * names of the ways it fails. */
#ifndef KU_OAUTH_H
#define KU_OAUTH_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

#include "conf.h"

const char *ku_oauth_set_token_endpoint(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_oauth_set_client_id(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_oauth_add_scope(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_oauth_add_extension(cmd_parms *cmd, void *conf, const char *name,
                                   const char *value);
const char *ku_oauth_set_ssl_verify(cmd_parms *cmd, void *conf, int on);

/* The directive table's rows; set_secret and set_pem_file are conf.c's
 * (the same handling as the SASL password and the broker CA file). */
#define KU_OAUTH_CMDS \
    AP_INIT_TAKE1("KafkaUpstreamOAuthTokenEndpoint", ku_oauth_set_token_endpoint, NULL, \
                  KU_CONTEXT, "http(s) URL of the OAuth token endpoint " \
                  "(Kong authentication.oauthbearer.token_endpoint_url)"), \
    AP_INIT_TAKE1("KafkaUpstreamOAuthClientId", ku_oauth_set_client_id, NULL, KU_CONTEXT, \
                  "OAuth client ID (Kong authentication.oauthbearer.client_id)"), \
    AP_INIT_TAKE1("KafkaUpstreamOAuthClientSecret", set_secret, \
                  (void *)(intptr_t)KU_STR_OAUTH_CLIENT_SECRET, KU_CONTEXT, \
                  "OAuth client secret, or file:/path or env:NAME " \
                  "(Kong authentication.oauthbearer.client_secret)"), \
    AP_INIT_ITERATE("KafkaUpstreamOAuthScope", ku_oauth_add_scope, NULL, KU_CONTEXT, \
                    "scopes to ask for (Kong authentication.oauthbearer.scopes)"), \
    AP_INIT_TAKE2("KafkaUpstreamOAuthExtension", ku_oauth_add_extension, NULL, KU_CONTEXT, \
                  "name value: a SASL extension sent to the broker, e.g. logicalCluster " \
                  "(Kong authentication.oauthbearer.extensions)"), \
    AP_INIT_FLAG("KafkaUpstreamOAuthTokenEndpointSSLVerify", ku_oauth_set_ssl_verify, NULL, \
                 KU_CONTEXT, "On: verify the token endpoint's certificate (Kong " \
                 "authentication.oauthbearer.token_endpoint_tls_verify); Off is refused"), \
    AP_INIT_TAKE1("KafkaUpstreamOAuthTokenEndpointCAFile", set_pem_file, \
                  (void *)(intptr_t)KU_STR_OAUTH_CA_FILE, KU_CONTEXT, \
                  "PEM file of the CA(s) that signed the token endpoint's certificate"),

/* NULL when the librdkafka loaded can fetch tokens itself (OIDC: built
 * with libcurl), else why not, for KafkaUpstreamSASLMechanism OAUTHBEARER. */
const char *ku_oauth_unsupported(apr_pool_t *p);

/* The directive that sets a librdkafka property of OAUTHBEARER, or NULL. */
const char *ku_oauth_owned_prop(const char *name);

/* The combination, on a merged conf: NULL or an error naming directives. */
const char *ku_oauth_check(apr_pool_t *p, const ku_dir_conf_t *c);

/* Adds the OIDC properties when the mechanism is OAUTHBEARER. */
void ku_oauth_push_props(apr_pool_t *p, apr_array_header_t *props, const ku_dir_conf_t *c);

/* What an error librdkafka reported says about OAUTHBEARER, as the short
 * text a client is told (503), or NULL when it is not about OAUTHBEARER. */
const char *ku_oauth_trouble(int err, const char *reason);

#endif
