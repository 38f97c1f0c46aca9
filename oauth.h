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

/* Directive handlers (rows in conf.c's ku_cmds; the client secret and the
 * CA file use conf.c's handlers for the SASL password and the broker CA). */
const char *ku_oauth_set_token_endpoint(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_oauth_set_client_id(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_oauth_add_scope(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_oauth_add_extension(cmd_parms *cmd, void *conf, const char *name,
                                   const char *value);
const char *ku_oauth_set_ssl_verify(cmd_parms *cmd, void *conf, int on);

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
