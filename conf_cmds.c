/* SPDX-License-Identifier: Apache-2.0 */
/* conf_cmds.c: the handlers of conf.c's directive table: each checks its
 * directive's value and writes it into the section's conf (conf_int.h).
 * Feature files keep their own handlers (oauth.c, schema_conf.c, spool.c). */
#include <stdint.h>
#include <string.h>

#include "apr_file_io.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_expr.h"
#include "http_core.h"
#include "librdkafka/rdkafka.h"

#include "conf_int.h"
#include "conf_props.h"
#include "mod_kafka_upstream.h"
#include "oauth.h"

const char *ku_cmd_num(cmd_parms *cmd, void *conf, const char *arg)
{
    ku_num_t n = (ku_num_t)(intptr_t)cmd->info;
    const ku_num_spec_t *spec = &ku_num_specs[n];
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (end == arg || *end || v < spec->min || v > spec->max)
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': a whole number "
                            "from %d to %d is allowed", spec->directive, arg,
                            spec->min, spec->max);
    ((ku_dir_conf_t *)conf)->num[n] = (int)v;
    return NULL;
}

const char *ku_cmd_flag(cmd_parms *cmd, void *conf, int on)
{
    ((ku_dir_conf_t *)conf)->flag[(ku_flag_t)(intptr_t)cmd->info] = on;
    return NULL;
}

/* host:port with a port from 1 to 65535; a bracketed IPv6 host is fine. */
/* host:port, an IPv6 address in brackets ([::1]:9092), the port 1-65535
 * in digits only. */
static int is_host_port(const char *s)
{
    const char *colon = strrchr(s, ':');
    const char *port = colon ? colon + 1 : "";
    apr_size_t host_len = colon ? (apr_size_t)(colon - s) : 0;
    int bracketed = host_len > 2 && s[0] == '[' && s[host_len - 1] == ']';

    if (!host_len || strpbrk(s, ",/"))
        return 0;
    if (!bracketed && strcspn(s, ":[]") < host_len)
        return 0; /* an IPv6 address without brackets, a:1:2, []:1 */
    if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port))
        return 0;
    return atoi(port) >= 1 && atoi(port) <= 65535;
}

/* The whole line: host:port entries separated by spaces or commas. */
const char *ku_cmd_bootstrap_servers(cmd_parms *cmd, void *conf, const char *args)
{
    char *list = apr_pstrdup(cmd->temp_pool, args), *last, *piece;
    const char *servers = NULL;

    for (piece = apr_strtok(list, ", \t", &last); piece;
         piece = apr_strtok(NULL, ", \t", &last)) {
        if (!is_host_port(piece))
            return apr_psprintf(cmd->pool, "KafkaUpstreamBootstrapServers: invalid "
                                "value '%s': host:port (port 1-65535) is allowed",
                                piece);
        servers = servers ? apr_pstrcat(cmd->pool, servers, ",", piece, NULL)
                          : apr_pstrdup(cmd->pool, piece);
    }
    if (!servers)
        return "KafkaUpstreamBootstrapServers: at least one host:port is required";
    ((ku_dir_conf_t *)conf)->str[KU_STR_BOOTSTRAP_SERVERS] = servers;
    return NULL;
}

/* Kafka topic names: 1-249 of [a-zA-Z0-9._-], not "." or "..". */
static const char *topic_error(cmd_parms *cmd, const char *arg)
{
    size_t len = strlen(arg);

    if (len == 0 || len > 249 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len
        || !strcmp(arg, ".") || !strcmp(arg, ".."))
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': 1 to 249 of the "
                            "characters a-z A-Z 0-9 . _ - are allowed",
                            cmd->cmd->name, arg);
    return NULL;
}

const char *ku_cmd_topic(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *error = topic_error(cmd, arg);

    if (!error)
        ((ku_dir_conf_t *)conf)->str[KU_STR_TOPIC] = arg;
    return error;
}

const char *ku_cmd_acks(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *acks = NULL;

    if (!strcmp(arg, "all") || !strcmp(arg, "-1"))
        acks = "all";
    else if (!strcmp(arg, "0") || !strcmp(arg, "1"))
        acks = arg;
    if (!acks)
        return apr_psprintf(cmd->pool, "KafkaUpstreamAcks: invalid value '%s': "
                            "-1, 0, 1 or all is allowed", arg);
    ((ku_dir_conf_t *)conf)->str[KU_STR_ACKS] = acks;
    return NULL;
}

/* --- TLS and SASL --------------------------------------------------------------- */

/* Reads a whole small file into the pool; NULL and *error on failure. */
static const char *read_small_file(cmd_parms *cmd, const char *path, const char **error)
{
    apr_file_t *f;
    apr_finfo_t info;
    apr_size_t len;
    char *data, msg[120];
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, cmd->temp_pool);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&info, APR_FINFO_SIZE, f);
    if (rv == APR_SUCCESS && info.size > 1024 * 1024)
        rv = APR_EINVAL;
    if (rv != APR_SUCCESS) {
        *error = apr_strerror(rv, msg, sizeof(msg));
        *error = apr_pstrdup(cmd->pool, *error);
        return NULL;
    }
    len = (apr_size_t)info.size;
    data = apr_palloc(cmd->pool, len + 1);
    rv = apr_file_read_full(f, data, len, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        *error = apr_pstrdup(cmd->pool, apr_strerror(rv, msg, sizeof(msg)));
        return NULL;
    }
    data[len] = '\0';
    return data;
}

/* Reads the file a directive names (relative to ServerRoot): its path and
 * contents, or the directive's error message. */
static const char *read_config_file(cmd_parms *cmd, const char *arg,
                                    const char **path, const char **data)
{
    const char *error = "invalid path";

    *path = ap_server_root_relative(cmd->pool, arg);
    *data = *path ? read_small_file(cmd, *path, &error) : NULL;
    if (!*data)
        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %s", cmd->cmd->name,
                            arg, error);
    return NULL;
}

/* The CA and certificate files: librdkafka reads them in each child, so
 * they are only checked here (readable, PEM). */
const char *ku_cmd_pem_file(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *path, *data, *error = read_config_file(cmd, arg, &path, &data);

    if (error)
        return error;
    if (!strstr(data, "-----BEGIN CERTIFICATE-----"))
        return apr_psprintf(cmd->pool, "%s: '%s' holds no PEM certificate",
                            cmd->cmd->name, arg);
    ((ku_dir_conf_t *)conf)->str[(ku_str_t)(intptr_t)cmd->info] = path;
    return NULL;
}

/* The private key is read here, by the parent (as mod_ssl does), so the
 * file may stay readable by root only; the children get its contents.
 * cmd->info: where it goes (NULL: the brokers' KU_STR_SSL_KEY_PEM). */
const char *ku_cmd_key_file(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *path, *pem, *error = read_config_file(cmd, arg, &path, &pem);
    ku_str_t which = cmd->info ? (ku_str_t)(intptr_t)cmd->info : KU_STR_SSL_KEY_PEM;

    if (error)
        return error;
    if (!strstr(pem, "PRIVATE KEY-----") || strstr(pem, "ENCRYPTED"))
        return apr_psprintf(cmd->pool, "%s: '%s' holds no unencrypted PEM private key",
                            cmd->cmd->name, arg);
    ((ku_dir_conf_t *)conf)->str[which] = pem;
    return NULL;
}

const char *ku_cmd_sasl_mechanism(cmd_parms *cmd, void *conf, const char *arg)
{
    static const char *const mechanisms[] = { "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512",
                                              "OAUTHBEARER" };
    const char *error;
    int i;

    for (i = 0; i < 4; i++)
        if (!strcasecmp(arg, mechanisms[i])) {
            if (i == 3 && (error = ku_oauth_unsupported(cmd->pool)))
                return error;
            ((ku_dir_conf_t *)conf)->str[KU_STR_SASL_MECHANISM] = mechanisms[i];
            return NULL;
        }
    return apr_psprintf(cmd->pool, "KafkaUpstreamSASLMechanism: invalid value '%s': "
                        "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER is allowed", arg);
}

const char *ku_cmd_sasl_user(cmd_parms *cmd, void *conf, const char *arg)
{
    if (!*arg)
        return "KafkaUpstreamSASLUser: the user name must not be empty";
    ((ku_dir_conf_t *)conf)->str[KU_STR_SASL_USER] = arg;
    return NULL;
}

/* A secret given literally, as file:/path (its first line) or env:NAME.
 * Error messages name the source, never the secret. */
const char *ku_conf_resolve_secret(cmd_parms *cmd, const char *arg, const char **secret)
{
    const char *error, *path, *data;

    if (!strncmp(arg, "env:", 4)) {
        if (!(*secret = getenv(arg + 4)) || !**secret)
            return apr_psprintf(cmd->pool, "%s: environment variable '%s' is not set "
                                "or empty", cmd->cmd->name, arg + 4);
        *secret = apr_pstrdup(cmd->pool, *secret);
        return NULL;
    }
    if (strncmp(arg, "file:", 5)) {
        *secret = arg;
        return NULL;
    }
    if ((error = read_config_file(cmd, arg + 5, &path, &data)))
        return error;
    *secret = apr_pstrndup(cmd->pool, data, strcspn(data, "\r\n"));
    if (!**secret)
        return apr_psprintf(cmd->pool, "%s: the first line of '%s' is empty",
                            cmd->cmd->name, arg + 5);
    return NULL;
}

/* The SASL password and the OAuth client secret (cmd->info). */
const char *ku_cmd_secret(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *secret = NULL, *error = ku_conf_resolve_secret(cmd, arg, &secret);

    if (error)
        return error;
    /* mod_info shows the configuration's arguments: never a literal secret. */
    if (strncmp(arg, "env:", 4) && strncmp(arg, "file:", 5))
        ((ap_directive_t *)cmd->directive)->args = "[redacted]";
    ((ku_dir_conf_t *)conf)->str[(ku_str_t)(intptr_t)cmd->info] = secret;
    return NULL;
}

/* --- KafkaUpstreamProperty ---------------------------------------------------- */

const char *ku_cmd_property(cmd_parms *cmd, void *conf_, const char *name,
                            const char *value)
{
    ku_dir_conf_t *conf = conf_;
    rd_kafka_conf_t *scratch;
    char errstr[512];
    rd_kafka_conf_res_t res;
    const char *refusal = ku_prop_refusal(cmd->pool, name);
    ku_prop_t *prop;

    if (refusal)
        return apr_psprintf(cmd->pool, "KafkaUpstreamProperty: %s", refusal);
    /* A scratch conf checks name and value; it starts no thread. */
    scratch = rd_kafka_conf_new();
    res = rd_kafka_conf_set(scratch, name, value, errstr, sizeof(errstr));
    rd_kafka_conf_destroy(scratch);
    if (res != RD_KAFKA_CONF_OK)
        return apr_psprintf(cmd->pool, "KafkaUpstreamProperty: %s", errstr);
    if (ku_prop_is_secret(name))
        ((ap_directive_t *)cmd->directive)->args = apr_pstrcat(cmd->pool, name,
                                                                " [redacted]", NULL);
    if (!conf->props)
        conf->props = apr_array_make(cmd->pool, 4, sizeof(ku_prop_t));
    prop = apr_array_push(conf->props);
    prop->name = name;
    prop->value = value;
    return NULL;
}

/* --- beyond Kong ----------------------------------------------------------- */

const char *ku_cmd_choice(cmd_parms *cmd, void *conf, const char *arg)
{
    const ku_choice_t *choice = cmd->info;
    int i;

    for (i = 0; choice->words[i]; i++)
        if (!strcasecmp(arg, choice->words[i])) {
            ku_conf_set_choice(conf, choice->str, choice->words[i], i);
            return NULL;
        }
    return apr_psprintf(cmd->pool, "%s: invalid value '%s': %s is allowed",
                        cmd->cmd->name, arg, choice->allowed);
}

/* A query argument name or a cluster name: a plain token. */
const char *ku_cmd_name(cmd_parms *cmd, void *conf, const char *arg)
{
    if (!*arg || strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") != strlen(arg))
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': letters, digits "
                            "and . _ - are allowed", cmd->cmd->name, arg);
    ((ku_dir_conf_t *)conf)->str[(ku_str_t)(intptr_t)cmd->info] = arg;
    return NULL;
}

static const char *parse_expr(cmd_parms *cmd, const char *arg, const ap_expr_info_t **expr)
{
    const char *error = NULL;

    *expr = ap_expr_parse_cmd(cmd, arg, AP_EXPR_FLAG_STRING_RESULT, &error, NULL);
    if (error)
        return apr_psprintf(cmd->pool, "%s: cannot parse '%s': %s", cmd->cmd->name,
                            arg, error);
    return NULL;
}

const char *ku_cmd_key_expr(cmd_parms *cmd, void *conf, const char *arg)
{
    const ap_expr_info_t *expr;
    const char *error = parse_expr(cmd, arg, &expr);

    if (!error)
        ((ku_dir_conf_t *)conf)->obj[KU_OBJ_KEY_EXPR] = expr;
    return error;
}

/* The array a list directive adds to, made on its first use in a section. */
static apr_array_header_t *list_of(cmd_parms *cmd, ku_dir_conf_t *conf, ku_obj_t obj,
                                   int elt_size)
{
    if (!conf->obj[obj])
        conf->obj[obj] = apr_array_make(cmd->pool, 4, elt_size);
    return (apr_array_header_t *)conf->obj[obj];
}

const char *ku_cmd_allowed_topic(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *error = topic_error(cmd, arg);

    if (!error)
        *(const char **)apr_array_push(list_of(cmd, conf, KU_OBJ_ALLOWED_TOPICS,
                                               sizeof(char *))) = arg;
    return error;
}

const char *ku_cmd_header_name(cmd_parms *cmd, void *conf, const char *arg)
{
    char *name = apr_pstrdup(cmd->pool, arg);

    ap_str_tolower(name);
    *(const char **)apr_array_push(list_of(cmd, conf, (ku_obj_t)(intptr_t)cmd->info,
                                           sizeof(char *))) = name;
    return NULL;
}

const char *ku_cmd_header_rename(cmd_parms *cmd, void *conf_, const char *from,
                                 const char *to)
{
    ku_dir_conf_t *conf = conf_;

    if (!conf->obj[KU_OBJ_HEADER_RENAME])
        conf->obj[KU_OBJ_HEADER_RENAME] = apr_table_make(cmd->pool, 4);
    apr_table_set((apr_table_t *)conf->obj[KU_OBJ_HEADER_RENAME], from, to);
    return NULL;
}

/* Envelope fields the encoder writes itself cannot be replaced. */
static const char *const envelope_fields[] = {
    "method", "uri", "uri_args", "headers", "body", "body_args", "body_base64", NULL
};

const char *ku_cmd_field(cmd_parms *cmd, void *conf, const char *name, const char *arg)
{
    ku_field_t *field;
    const ap_expr_info_t *expr;
    const char *error;
    int i;

    for (i = 0; envelope_fields[i]; i++)
        if (!strcmp(name, envelope_fields[i]))
            return apr_psprintf(cmd->pool, "KafkaUpstreamField: '%s' is a field the "
                                "envelope already has", name);
    if ((error = parse_expr(cmd, arg, &expr)))
        return error;
    field = apr_array_push(list_of(cmd, conf, KU_OBJ_FIELDS, sizeof(ku_field_t)));
    field->name = name;
    field->expr = expr;
    return NULL;
}
