/* SPDX-License-Identifier: Apache-2.0 */
/* oauth.c: SASL OAUTHBEARER with OIDC client credentials.
 *
 * librdkafka fetches and refreshes the token itself, per producer
 * (sasl.oauthbearer.method=oidc: a client credentials grant to the token
 * endpoint, again before the token expires, and 10 s after a failed try).
 * This file only turns the directives into its properties, checks them
 * when the configuration is read, and names its failures. */
#include <string.h>

#include "apr_strings.h"
#include "librdkafka/rdkafka.h"

#include "mod_kafka_upstream.h"
#include "oauth.h"

const char *ku_oauth_set_token_endpoint(cmd_parms *cmd, void *conf, const char *arg)
{
    if (strncasecmp(arg, "https://", 8) && strncasecmp(arg, "http://", 7))
        return apr_psprintf(cmd->pool, "KafkaUpstreamOAuthTokenEndpoint: invalid value "
                            "'%s': an http:// or https:// URL is allowed", arg);
    ku_conf_set_str(conf, KU_STR_OAUTH_TOKEN_ENDPOINT, arg);
    return NULL;
}

const char *ku_oauth_set_client_id(cmd_parms *cmd, void *conf, const char *arg)
{
    if (!*arg)
        return "KafkaUpstreamOAuthClientId: the client ID must not be empty";
    ku_conf_set_str(conf, KU_STR_OAUTH_CLIENT_ID, arg);
    return NULL;
}

/* Scope tokens (RFC 6749 3.3): printable ASCII but space, " and \. */
const char *ku_oauth_add_scope(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *scope = ku_conf_str(conf, KU_STR_OAUTH_SCOPE), *s;

    for (s = arg; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
            break;
    if (!*arg || *s)
        return apr_psprintf(cmd->pool, "KafkaUpstreamOAuthScope: invalid scope '%s': "
                            "printable ASCII without \" and \\ is allowed", arg);
    /* Repeated lines add to the section's list, which replaces the inherited one. */
    ku_conf_set_str(conf, KU_STR_OAUTH_SCOPE,
                    scope ? apr_pstrcat(cmd->pool, scope, " ", arg, NULL) : arg);
    return NULL;
}

/* SASL extensions (RFC 7628 3.1, as Kafka and librdkafka check them):
 * a name of letters other than "auth", a value of printable ASCII; no
 * comma, which separates them in librdkafka's property. */
const char *ku_oauth_add_extension(cmd_parms *cmd, void *conf, const char *name,
                                   const char *value)
{
    const char *extensions = ku_conf_str(conf, KU_STR_OAUTH_EXTENSIONS), *s;

    if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                  != strlen(name) || !strcmp(name, "auth"))
        return apr_psprintf(cmd->pool, "KafkaUpstreamOAuthExtension: invalid name '%s': "
                            "letters only, and not 'auth'", name);
    for (s = value; *s && *s >= 0x21 && *s <= 0x7e && *s != ','; s++)
        ;
    if (!*value || *s)
        return apr_psprintf(cmd->pool, "KafkaUpstreamOAuthExtension: invalid value '%s' "
                            "for %s: printable ASCII without spaces and commas is allowed",
                            value, name);
    ku_conf_set_str(conf, KU_STR_OAUTH_EXTENSIONS,
                    extensions ? apr_pstrcat(cmd->pool, extensions, ",", name, "=", value, NULL)
                               : apr_pstrcat(cmd->pool, name, "=", value, NULL));
    return NULL;
}

/* librdkafka's HTTP client always verifies the token endpoint (it has no
 * property to turn that off): Off would be a promise it cannot keep. */
const char *ku_oauth_set_ssl_verify(cmd_parms *cmd, void *conf, int on)
{
    if (on)
        return NULL;
    return "KafkaUpstreamOAuthTokenEndpointSSLVerify Off: librdkafka always verifies "
           "the token endpoint's certificate and hostname (it has no setting to turn "
           "that off); name the CA that signed it with "
           "KafkaUpstreamOAuthTokenEndpointCAFile";
}

/* Asked once, of the library loaded: one without libcurl refuses the
 * property (Debian 12's 2.0.2 is built so). */
const char *ku_oauth_unsupported(apr_pool_t *p)
{
    static int known = -1;
    static char why[512];
    rd_kafka_conf_t *scratch;

    if (known == -1) {
        scratch = rd_kafka_conf_new();
        known = rd_kafka_conf_set(scratch, "sasl.oauthbearer.method", "oidc", why,
                                  sizeof(why)) == RD_KAFKA_CONF_OK;
        rd_kafka_conf_destroy(scratch);
    }
    if (known)
        return NULL;
    return apr_psprintf(p, "KafkaUpstreamSASLMechanism OAUTHBEARER: librdkafka %s cannot "
                        "fetch OAuth tokens (no OIDC support: built without libcurl; it "
                        "says: %s); build the module against a librdkafka with it: "
                        "./configure --with-librdkafka=PREFIX (README: OAUTHBEARER)",
                        rd_kafka_version_str(), why);
}

static const struct { const char *prop, *directive; } owned_props[] = {
    { "sasl.oauthbearer.method", "KafkaUpstreamSASLMechanism OAUTHBEARER" },
    { "sasl.oauthbearer.token.endpoint.url", "KafkaUpstreamOAuthTokenEndpoint" },
    { "sasl.oauthbearer.client.id", "KafkaUpstreamOAuthClientId" },
    { "sasl.oauthbearer.client.credentials.client.id", "KafkaUpstreamOAuthClientId" },
    { "sasl.oauthbearer.client.secret", "KafkaUpstreamOAuthClientSecret" },
    { "sasl.oauthbearer.client.credentials.client.secret", "KafkaUpstreamOAuthClientSecret" },
    { "sasl.oauthbearer.scope", "KafkaUpstreamOAuthScope" },
    { "sasl.oauthbearer.extensions", "KafkaUpstreamOAuthExtension" },
    { "https.ca.location", "KafkaUpstreamOAuthTokenEndpointCAFile" },
    { NULL, NULL }
};

const char *ku_oauth_owned_prop(const char *name)
{
    int i;

    for (i = 0; owned_props[i].prop; i++)
        if (!strcmp(name, owned_props[i].prop))
            return owned_props[i].directive;
    return NULL;
}

static int is_oauth(const ku_dir_conf_t *c)
{
    const char *mechanism = ku_conf_str(c, KU_STR_SASL_MECHANISM);

    return mechanism && !strcmp(mechanism, "OAUTHBEARER");
}

/* The directives that only OAUTHBEARER reads. */
static const struct { ku_str_t str; const char *directive; } oauth_directives[] = {
    { KU_STR_OAUTH_TOKEN_ENDPOINT, "KafkaUpstreamOAuthTokenEndpoint" },
    { KU_STR_OAUTH_CLIENT_ID, "KafkaUpstreamOAuthClientId" },
    { KU_STR_OAUTH_CLIENT_SECRET, "KafkaUpstreamOAuthClientSecret" },
    { KU_STR_OAUTH_SCOPE, "KafkaUpstreamOAuthScope" },
    { KU_STR_OAUTH_EXTENSIONS, "KafkaUpstreamOAuthExtension" },
    { KU_STR_OAUTH_CA_FILE, "KafkaUpstreamOAuthTokenEndpointCAFile" },
};
#define KU_OAUTH_DIRECTIVES (sizeof(oauth_directives) / sizeof(oauth_directives[0]))

const char *ku_oauth_check(apr_pool_t *p, const ku_dir_conf_t *c)
{
    size_t i;

    if (!is_oauth(c)) {
        for (i = 0; i < KU_OAUTH_DIRECTIVES; i++)
            if (ku_conf_str(c, oauth_directives[i].str))
                return apr_psprintf(p, "%s is set without KafkaUpstreamSASLMechanism "
                                    "OAUTHBEARER", oauth_directives[i].directive);
        return NULL;
    }
    for (i = 0; i < 3; i++) /* endpoint, client ID and secret are needed */
        if (!ku_conf_str(c, oauth_directives[i].str))
            return apr_psprintf(p, "KafkaUpstreamSASLMechanism OAUTHBEARER needs %s",
                                oauth_directives[i].directive);
    if (ku_conf_str(c, KU_STR_SASL_USER) || ku_conf_str(c, KU_STR_SASL_PASSWORD))
        return apr_psprintf(p, "%s is set with KafkaUpstreamSASLMechanism OAUTHBEARER, "
                            "which logs in with KafkaUpstreamOAuthClientId and "
                            "KafkaUpstreamOAuthClientSecret",
                            ku_conf_str(c, KU_STR_SASL_USER) ? "KafkaUpstreamSASLUser"
                                                             : "KafkaUpstreamSASLPassword");
    if (ku_conf_str(c, KU_STR_OAUTH_CA_FILE)
        && strncasecmp(ku_conf_str(c, KU_STR_OAUTH_TOKEN_ENDPOINT), "https://", 8))
        return "KafkaUpstreamOAuthTokenEndpointCAFile is set but "
               "KafkaUpstreamOAuthTokenEndpoint is not an https:// URL";
    return ku_oauth_unsupported(p);
}

static void push(apr_array_header_t *props, const char *name, const char *value)
{
    ku_prop_t *prop = apr_array_push(props);

    prop->name = name;
    prop->value = value;
}

void ku_oauth_push_props(apr_pool_t *p, apr_array_header_t *props, const ku_dir_conf_t *c)
{
    static const struct { ku_str_t str; const char *prop; } copied[] = {
        { KU_STR_OAUTH_TOKEN_ENDPOINT, "sasl.oauthbearer.token.endpoint.url" },
        { KU_STR_OAUTH_CLIENT_ID, "sasl.oauthbearer.client.id" },
        { KU_STR_OAUTH_CLIENT_SECRET, "sasl.oauthbearer.client.secret" },
        { KU_STR_OAUTH_SCOPE, "sasl.oauthbearer.scope" },
        { KU_STR_OAUTH_EXTENSIONS, "sasl.oauthbearer.extensions" },
        { KU_STR_OAUTH_CA_FILE, "https.ca.location" },
    };
    size_t i;

    if (!is_oauth(c))
        return;
    push(props, "sasl.oauthbearer.method", "oidc");
    for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
        if (ku_conf_str(c, copied[i].str))
            push(props, copied[i].prop, ku_conf_str(c, copied[i].str));
}

/* librdkafka reports a failed token fetch as an _AUTHENTICATION error
 * "Failed to acquire SASL OAUTHBEARER token: " followed by curl's error
 * text (no answer) or the endpoint's error answer (its JSON body); the
 * broker's refusal of a token as "SASL authentication error: " with the
 * RFC 7628 error, {"status":"invalid_token"}. */
static const char trouble_unreachable[] = "token endpoint unreachable";
static const char trouble_tls[] = "TLS with the token endpoint failed";
static const char trouble_credentials[] = "OAuth client credentials refused";
static const char trouble_no_token[] = "no usable token from the token endpoint";
static const char trouble_refused[] = "OAuth token refused by the broker";

#define KU_TOKEN_FAILURE "Failed to acquire SASL OAUTHBEARER token: "

const char *ku_oauth_trouble(int err, const char *reason)
{
    const char *why;

    if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION || !reason)
        return NULL;
    if (!(why = strstr(reason, KU_TOKEN_FAILURE)))
        return strstr(reason, "{\"status\":") ? trouble_refused : NULL;
    why += sizeof(KU_TOKEN_FAILURE) - 1;
    if (strstr(why, "invalid_client") || strstr(why, "unauthorized_client"))
        return trouble_credentials;
    if (strchr(why, '{'))
        return trouble_no_token;  /* another error answer: invalid_scope ... */
    if (strstr(why, "SSL") || strstr(why, "certificate"))
        return trouble_tls;
    if (strstr(why, "connect") || strstr(why, "resolve") || strstr(why, "timed out")
        || strstr(why, "Recv failure") || strstr(why, "Send failure")
        || strstr(why, "Empty reply"))
        return trouble_unreachable;
    return trouble_no_token;
}
