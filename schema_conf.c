/* SPDX-License-Identifier: Apache-2.0 */
/* schema_conf.c: the schema registry directives (README: Schema Registry). */
#include <stdint.h>
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "schema_conf.h"

const char *ku_schema_set_url(cmd_parms *cmd, void *conf, const char *arg)
{
    size_t len = strlen(arg);

    if (strncasecmp(arg, "http://", 7) && strncasecmp(arg, "https://", 8))
        return apr_psprintf(cmd->pool, "%s: '%s' is not an http:// or https:// URL",
                            cmd->cmd->name, arg);
    if (strchr(arg, '?') || strchr(arg, '#') || strchr(arg, '@'))
        return apr_psprintf(cmd->pool, "%s: '%s': no query, fragment or user in the URL "
                            "(KafkaUpstreamSchemaRegistryAuth gives the user)", cmd->cmd->name, arg);
    while (len && arg[len - 1] == '/')
        len--;
    ku_conf_set_str(conf, KU_STR_SR_URL, apr_pstrmemdup(cmd->pool, arg, len));
    return NULL;
}

const char *ku_schema_set_auth(cmd_parms *cmd, void *conf, const char *mode,
                               const char *user, const char *secret)
{
    const char *resolved = NULL, *error;

    if (!strcasecmp(mode, "none") && !user) {
        ku_conf_set_str(conf, KU_STR_SR_USER, ""); /* set, empty: none (overrides an outer basic) */
        ku_conf_set_str(conf, KU_STR_SR_PASSWORD, "");
        return NULL;
    }
    if (strcasecmp(mode, "basic") || !user || !secret || !*user)
        return "KafkaUpstreamSchemaRegistryAuth: 'none', or 'basic USER SECRET'";
    if (strchr(user, ':'))
        return "KafkaUpstreamSchemaRegistryAuth: a basic auth user name has no ':'";
    if ((error = ku_conf_resolve_secret(cmd, secret, &resolved)))
        return error;
    /* mod_info shows the configuration's arguments: never a literal secret. */
    if (strncmp(secret, "env:", 4) && strncmp(secret, "file:", 5))
        ((ap_directive_t *)cmd->directive)->args =
            apr_pstrcat(cmd->pool, "basic ", user, " [redacted]", NULL);
    ku_conf_set_str(conf, KU_STR_SR_USER, user);
    ku_conf_set_str(conf, KU_STR_SR_PASSWORD, resolved);
    return NULL;
}

/* message=pkg.Name: a Protobuf message's full name (letters, digits, _
 * and dots between them). NULL or an error. */
static const char *check_message(cmd_parms *cmd, const char *arg, const char **name)
{
    const char *m;

    if (strncmp(arg, "message=", 8))
        return apr_psprintf(cmd->pool, "%s: '%s': the third argument is message=pkg.Name",
                            cmd->cmd->name, arg);
    *name = arg + 8;
    for (m = *name; *m; m++)
        if (!apr_isalnum(*m) && *m != '_' && !(*m == '.' && m > *name && m[1] && m[1] != '.'))
            break;
    if (*m || !**name)
        return apr_psprintf(cmd->pool, "%s: '%s' is no Protobuf message name (pkg.Name)",
                            cmd->cmd->name, arg);
    return NULL;
}

const char *ku_schema_set_subject(cmd_parms *cmd, void *conf, const char *subject,
                                  const char *version, const char *message)
{
    ku_str_t which = (ku_str_t)(intptr_t)cmd->info;
    const char *v, *name = "", *error;

    if (version && !message && !strncmp(version, "message=", 8))
        message = version, version = NULL;
    if (message && (error = check_message(cmd, message, &name)))
        return error;
    if (!*subject)
        return apr_psprintf(cmd->pool, "%s: the subject must not be empty", cmd->cmd->name);
    if (!version || !strcasecmp(version, "latest"))
        version = "latest";
    else {
        for (v = version; *v && apr_isdigit(*v); v++)
            ;
        if (*v || !*version || *version == '0' || strlen(version) > 9)
            return apr_psprintf(cmd->pool, "%s: invalid version '%s': a number from 1, "
                                "or latest", cmd->cmd->name, version);
    }
    ku_conf_set_str(conf, which, subject);
    ku_conf_set_str(conf, which == KU_STR_VALUE_SUBJECT ? KU_STR_VALUE_VERSION : KU_STR_KEY_VERSION,
                    version);
    /* Always set ("" for the first message): an outer section's message=
     * never applies to another subject. */
    ku_conf_set_str(conf, which == KU_STR_VALUE_SUBJECT ? KU_STR_VALUE_MESSAGE : KU_STR_KEY_MESSAGE,
                    name);
    return NULL;
}

const char *ku_schema_set_payload(cmd_parms *cmd, void *conf, const char *arg)
{
    if (strcasecmp(arg, "avro_json") && strcasecmp(arg, "simple_json"))
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': avro_json or simple_json "
                            "is allowed", cmd->cmd->name, arg);
    if (strcasecmp(arg, "avro_json"))
        ku_conf_set_choice(conf, KU_STR_SCHEMA_PAYLOAD, "simple_json", KU_PAYLOAD_SIMPLE_JSON);
    else
        ku_conf_set_choice(conf, KU_STR_SCHEMA_PAYLOAD, "avro_json", KU_PAYLOAD_AVRO_JSON);
    return NULL;
}

/* Headers libcurl writes itself, or that would change how the request is
 * framed or routed: not the directive's to set. */
static int header_refused(const char *name)
{
    static const char *const refused[] = { "host", "content-length", "transfer-encoding",
                                           "connection", "expect", "te", "upgrade",
                                           "authorization", NULL };
    int i;

    for (i = 0; refused[i]; i++)
        if (!strcasecmp(name, refused[i]))
            return 1;
    return 0;
}

/* An RFC 9110 token: the characters of a header name. */
static int is_token(const char *s)
{
    return *s && strspn(s, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(s);
}

/* Visible ASCII, spaces and tabs inside: no CR, LF or NUL, which would let a
 * value add headers of its own. */
static int is_header_value(const char *s)
{
    const char *c;

    for (c = s; *c; c++)
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
            return 0;
    return *s && *s != ' ' && *s != '\t' && c[-1] != ' ' && c[-1] != '\t';
}

const char *ku_schema_add_header(cmd_parms *cmd, void *conf, const char *name,
                                 const char *value)
{
    const char *headers = ku_conf_str(conf, KU_STR_SR_HEADERS), *resolved = NULL, *error;

    if (!is_token(name))
        return apr_psprintf(cmd->pool, "%s: invalid header name '%s': letters, digits and "
                            "!#$%%&'*+-.^_`|~ are allowed", cmd->cmd->name, name);
    if (header_refused(name))
        return apr_psprintf(cmd->pool, "%s: the header %s is not the directive's to set%s",
                            cmd->cmd->name, name, strcasecmp(name, "authorization") ? ""
                            : " (KafkaUpstreamSchemaRegistryAuth sends it)");
    if ((error = ku_conf_resolve_secret(cmd, value, &resolved)))
        return error;
    /* Named by its source, never by its value: it may be a secret. */
    if (!is_header_value(resolved))
        return apr_psprintf(cmd->pool, "%s %s: the value must be printable ASCII, not empty, "
                            "without leading or trailing spaces", cmd->cmd->name, name);
    /* mod_info shows the configuration's arguments: never a literal value. */
    if (strncmp(value, "env:", 4) && strncmp(value, "file:", 5))
        ((ap_directive_t *)cmd->directive)->args =
            apr_pstrcat(cmd->pool, name, " [redacted]", NULL);
    /* Repeated lines add to the section's list, which replaces the inherited one. */
    ku_conf_set_str(conf, KU_STR_SR_HEADERS,
                    apr_pstrcat(cmd->pool, headers ? headers : "", name, ": ", resolved, "\n",
                                NULL));
    return NULL;
}

const char *ku_schema_conf_check(apr_pool_t *p, const ku_dir_conf_t *c)
{
    const char *url = ku_conf_str(c, KU_STR_SR_URL);

    (void)p;
    if ((ku_conf_str(c, KU_STR_VALUE_SUBJECT) || ku_conf_str(c, KU_STR_KEY_SUBJECT)) && !url)
        return "KafkaUpstreamValueSchema and KafkaUpstreamKeySchema need "
               "KafkaUpstreamSchemaRegistry";
    if (!ku_conf_str(c, KU_STR_SR_CERT_FILE) != !ku_conf_str(c, KU_STR_SR_KEY_PEM))
        return "KafkaUpstreamSchemaRegistryCertificateFile and "
               "KafkaUpstreamSchemaRegistryCertificateKeyFile go together";
    if (ku_conf_str(c, KU_STR_SR_CERT_FILE) && url && strncasecmp(url, "https://", 8))
        return "KafkaUpstreamSchemaRegistryCertificateFile is set but "
               "KafkaUpstreamSchemaRegistry is not an https:// URL";
    return NULL;
}
