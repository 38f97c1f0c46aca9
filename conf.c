/* SPDX-License-Identifier: Apache-2.0 */
/* conf.c: directive table, create/merge, defaults and validation. */
#include <stdint.h>
#include <string.h>

#include "apr_file_io.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_expr.h"
#include "http_core.h"
#include "librdkafka/rdkafka.h"

#include "conf.h"
#include "conf_props.h"
#include "spool.h"
#include "schema_conf.h"
#include "mod_kafka_upstream.h"
#include "oauth.h"
#include "cloudevents_req.h"
#include "trace_context_req.h"

/* Settings held as objects; a section that sets one replaces it whole. */
typedef enum {
    KU_OBJ_KEY_EXPR,          /* ap_expr_info_t: KafkaUpstreamKey */
    KU_OBJ_ALLOWED_TOPICS,    /* array of const char * */
    KU_OBJ_HEADERS_INCLUDE,   /* array of const char *, lower case */
    KU_OBJ_HEADERS_EXCLUDE,   /* array of const char *, lower case */
    KU_OBJ_HEADER_RENAME,     /* apr_table_t: from -> to */
    KU_OBJ_FIELDS,            /* array of ku_field_t */
    KU_OBJ_SPOOL,             /* spool_on or spool_off: KafkaUpstreamSpool On|Off */
    KU_OBJ_COUNT
} ku_obj_t;

struct ku_dir_conf {
    int num[KU_NUM_COUNT];          /* -1: unset */
    int flag[KU_FLAG_COUNT];        /* -1: unset */
    const char *str[KU_STR_COUNT];  /* NULL: unset */
    signed char choice[KU_STR_COUNT]; /* a choice directive's word as its index
                                       * in the word list; -1: unset */
    const void *obj[KU_OBJ_COUNT];  /* NULL: unset */
    const char *section;            /* the <Location>/<Directory> path, for errors */
    apr_array_header_t *props;      /* KafkaUpstreamProperty: ku_prop_t, server-wide */
};

static const char spool_on[] = "On", spool_off[] = "Off";

typedef struct {
    const char *directive;
    int def, min, max;
} ku_num_spec_t;

typedef struct {
    const char *directive;
    int def;
} ku_flag_spec_t;

/* The defaults table: Kong's defaults where Kong has the field. */
#define KU_NUM_ROW(id, name, def, min, max, help) [KU_NUM_##id] = { name, def, min, max },
#define KU_FLAG_ROW(id, name, def, help) [KU_FLAG_##id] = { name, def },
static const ku_num_spec_t num_specs[KU_NUM_COUNT] = { KU_NUM_DIRECTIVES(KU_NUM_ROW) };
static const ku_flag_spec_t flag_specs[KU_FLAG_COUNT] = { KU_FLAG_DIRECTIVES(KU_FLAG_ROW) };

void *ku_create_dir_conf(apr_pool_t *p, char *dir)
{
    ku_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));
    int i;

    for (i = 0; i < KU_NUM_COUNT; i++)
        c->num[i] = -1;
    for (i = 0; i < KU_FLAG_COUNT; i++)
        c->flag[i] = -1;
    for (i = 0; i < KU_STR_COUNT; i++)
        c->choice[i] = -1;
    c->section = dir;
    return c;
}

void *ku_merge_dir_conf(apr_pool_t *p, void *base_, void *add_)
{
    const ku_dir_conf_t *base = base_, *add = add_;
    ku_dir_conf_t *c = apr_palloc(p, sizeof(*c));
    int i;

    for (i = 0; i < KU_NUM_COUNT; i++)
        c->num[i] = add->num[i] != -1 ? add->num[i] : base->num[i];
    for (i = 0; i < KU_FLAG_COUNT; i++)
        c->flag[i] = add->flag[i] != -1 ? add->flag[i] : base->flag[i];
    for (i = 0; i < KU_STR_COUNT; i++) {
        c->str[i] = add->str[i] ? add->str[i] : base->str[i];
        c->choice[i] = add->choice[i] != -1 ? add->choice[i] : base->choice[i];
    }
    for (i = 0; i < KU_OBJ_COUNT; i++)
        c->obj[i] = add->obj[i] ? add->obj[i] : base->obj[i];
    c->section = add->section ? add->section : base->section;
    c->props = add->props && base->props ? apr_array_append(p, base->props, add->props)
             : add->props ? add->props : base->props;
    return c;
}

int ku_conf_num(const ku_dir_conf_t *c, ku_num_t n)
{
    return c->num[n] != -1 ? c->num[n] : num_specs[n].def;
}

int ku_conf_flag(const ku_dir_conf_t *c, ku_flag_t f)
{
    return c->flag[f] != -1 ? c->flag[f] : flag_specs[f].def;
}

const char *ku_conf_str(const ku_dir_conf_t *c, ku_str_t s)
{
    static const char *const defaults[KU_STR_COUNT] = {
        [KU_STR_ACKS] = "1",
        [KU_STR_COMPRESSION] = "none",
        [KU_STR_HEADERS_REPEATED] = "retain_duplicates",
        [KU_STR_MESSAGE_FORMAT] = "envelope",
        [KU_STR_PARTITIONER] = "murmur2_random",
        [KU_STR_SPLIT] = "none",
        [KU_STR_API] = "kong",
        [KU_STR_SCHEMA_PAYLOAD] = "avro_json",
    };
    return c->str[s] ? c->str[s] : defaults[s];
}

int ku_conf_str_is_set(const ku_dir_conf_t *c, ku_str_t s)
{
    return c->str[s] != NULL;
}

/* The typed getters of the object settings (conf.h). */
#define KU_OBJ_GETTER(type, name, id) \
    type ku_conf_##name(const ku_dir_conf_t *c) { return c->obj[KU_OBJ_##id]; }
KU_OBJ_GETTER(const ap_expr_info_t *, key_expr, KEY_EXPR)
KU_OBJ_GETTER(const apr_array_header_t *, allowed_topics, ALLOWED_TOPICS)
KU_OBJ_GETTER(const apr_array_header_t *, headers_include, HEADERS_INCLUDE)
KU_OBJ_GETTER(const apr_array_header_t *, headers_exclude, HEADERS_EXCLUDE)
KU_OBJ_GETTER(const apr_table_t *, header_rename, HEADER_RENAME)
KU_OBJ_GETTER(const apr_array_header_t *, fields, FIELDS)

int ku_conf_spool(const ku_dir_conf_t *c)
{
    return c->obj[KU_OBJ_SPOOL] == spool_on;
}

const apr_array_header_t *ku_conf_properties(const ku_dir_conf_t *c)
{
    return c->props;
}

const char *ku_conf_section(const ku_dir_conf_t *c)
{
    return c->section;
}

void ku_conf_set_str(void *conf, ku_str_t s, const char *value)
{
    ((ku_dir_conf_t *)conf)->str[s] = value;
}

void ku_conf_set_choice(void *conf, ku_str_t s, const char *word, int index)
{
    ((ku_dir_conf_t *)conf)->str[s] = word;
    ((ku_dir_conf_t *)conf)->choice[s] = (signed char)index;
}

void ku_conf_set_spool(void *conf, int on)
{
    ((ku_dir_conf_t *)conf)->obj[KU_OBJ_SPOOL] = on ? spool_on : spool_off;
}

/* Every value the producer properties are made of (ku_conf_producer_props):
 * merged confs copy their values from the sections', so equal values mean
 * the same producer. */
void ku_conf_producer_id(const ku_dir_conf_t *c, ku_conf_producer_id_t *id)
{
    int i;

    memset(id, 0, sizeof(*id));
    memcpy(id->values, c->num, sizeof(c->num));
    memcpy(id->values + KU_NUM_COUNT, c->flag, sizeof(c->flag));
    for (i = 0; i < KU_STR_COUNT; i++)
        id->refs[i] = c->str[i];
    id->refs[KU_STR_COUNT] = c->props;
}

/* Unset: the first word of each list, the default. */
static int choice(const ku_dir_conf_t *c, ku_str_t s)
{
    return c->choice[s] > 0 ? c->choice[s] : 0;
}

ku_repeated_t ku_conf_headers_repeated(const ku_dir_conf_t *c)
{
    return (ku_repeated_t)choice(c, KU_STR_HEADERS_REPEATED);
}

ku_format_t ku_conf_format(const ku_dir_conf_t *c)
{
    return (ku_format_t)choice(c, KU_STR_MESSAGE_FORMAT);
}

ku_split_t ku_conf_split(const ku_dir_conf_t *c)
{
    return (ku_split_t)choice(c, KU_STR_SPLIT);
}

ku_payload_t ku_conf_payload(const ku_dir_conf_t *c)
{
    return (ku_payload_t)choice(c, KU_STR_SCHEMA_PAYLOAD);
}

ku_api_t ku_conf_api(const ku_dir_conf_t *c)
{
    return (ku_api_t)choice(c, KU_STR_API);
}

int ku_conf_answers_early(const ku_dir_conf_t *c)
{
    return ku_conf_flag(c, KU_FLAG_ASYNC) && ku_conf_api(c) == KU_API_KONG;
}

int ku_conf_is_complete(const ku_dir_conf_t *c)
{
    return c->str[KU_STR_BOOTSTRAP_SERVERS] && c->str[KU_STR_TOPIC];
}

/* --- setters ------------------------------------------------------------ */

static const char *set_num(cmd_parms *cmd, void *conf, const char *arg)
{
    ku_num_t n = (ku_num_t)(intptr_t)cmd->info;
    const ku_num_spec_t *spec = &num_specs[n];
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (end == arg || *end || v < spec->min || v > spec->max)
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': a whole number "
                            "from %d to %d is allowed", spec->directive, arg,
                            spec->min, spec->max);
    ((ku_dir_conf_t *)conf)->num[n] = (int)v;
    return NULL;
}

static const char *set_flag(cmd_parms *cmd, void *conf, int on)
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
static const char *set_bootstrap_servers(cmd_parms *cmd, void *conf, const char *args)
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

static const char *set_topic(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *error = topic_error(cmd, arg);

    if (!error)
        ((ku_dir_conf_t *)conf)->str[KU_STR_TOPIC] = arg;
    return error;
}

static const char *set_acks(cmd_parms *cmd, void *conf, const char *arg)
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
static const char *set_pem_file(cmd_parms *cmd, void *conf, const char *arg)
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
 * file may stay readable by root only; the children get its contents. */
static const char *set_key_file(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *path, *pem, *error = read_config_file(cmd, arg, &path, &pem);

    if (error)
        return error;
    if (!strstr(pem, "PRIVATE KEY-----") || strstr(pem, "ENCRYPTED"))
        return apr_psprintf(cmd->pool, "KafkaUpstreamSSLCertificateKeyFile: '%s' "
                            "holds no unencrypted PEM private key", arg);
    ((ku_dir_conf_t *)conf)->str[KU_STR_SSL_KEY_PEM] = pem;
    return NULL;
}

static const char *set_sasl_mechanism(cmd_parms *cmd, void *conf, const char *arg)
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

static const char *set_sasl_user(cmd_parms *cmd, void *conf, const char *arg)
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
static const char *set_secret(cmd_parms *cmd, void *conf, const char *arg)
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

static const char *set_property(cmd_parms *cmd, void *conf_, const char *name,
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

/* A directive whose value is one word of a fixed list. */
typedef struct {
    ku_str_t str;
    const char *const *words;
    const char *allowed;      /* for the error message */
} ku_choice_t;

static const char *const compressions[] = { "none", "gzip", "snappy", "lz4", "zstd", NULL };
/* In the order of ku_repeated_t, ku_format_t and ku_split_t. */
static const char *const repeated_modes[] = { "retain_duplicates", "concatenate_by_comma",
                                              "take_first", NULL };
static const char *const formats[] = { "envelope", "raw", NULL };
static const char *const partitioners[] = { "murmur2_random", "consistent_random", "crc32",
                                            "random", NULL };
static const char *const splits[] = { "none", "ndjson", "json-array", NULL };
static const char *const apis[] = { "kong", "rest-v2", NULL };

static const ku_choice_t choice_compression = {
    KU_STR_COMPRESSION, compressions, "none, gzip, snappy, lz4 or zstd" };
static const ku_choice_t choice_repeated = {
    KU_STR_HEADERS_REPEATED, repeated_modes,
    "retain_duplicates, concatenate_by_comma or take_first" };
static const ku_choice_t choice_format = { KU_STR_MESSAGE_FORMAT, formats, "envelope or raw" };
static const ku_choice_t choice_partitioner = {
    KU_STR_PARTITIONER, partitioners, "murmur2_random, consistent_random, crc32 or random" };
static const ku_choice_t choice_split = { KU_STR_SPLIT, splits, "none, ndjson or json-array" };
static const ku_choice_t choice_api = { KU_STR_API, apis, "kong or rest-v2" };

static const char *set_choice(cmd_parms *cmd, void *conf, const char *arg)
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

/* The REST proxies' v3 API is reserved: named, but refused until it is built. */
static const char *set_api(cmd_parms *cmd, void *conf, const char *arg)
{
    if (!strcasecmp(arg, "rest-v3"))
        return "KafkaUpstreamAPI: rest-v3 is not implemented yet: kong or rest-v2 is allowed";
    return set_choice(cmd, conf, arg);
}

/* A query argument name or a cluster name: a plain token. */
static const char *set_name(cmd_parms *cmd, void *conf, const char *arg)
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

static const char *set_key_expr(cmd_parms *cmd, void *conf, const char *arg)
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

static const char *add_allowed_topic(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *error = topic_error(cmd, arg);

    if (!error)
        *(const char **)apr_array_push(list_of(cmd, conf, KU_OBJ_ALLOWED_TOPICS,
                                               sizeof(char *))) = arg;
    return error;
}

static const char *add_header_name(cmd_parms *cmd, void *conf, const char *arg)
{
    char *name = apr_pstrdup(cmd->pool, arg);

    ap_str_tolower(name);
    *(const char **)apr_array_push(list_of(cmd, conf, (ku_obj_t)(intptr_t)cmd->info,
                                           sizeof(char *))) = name;
    return NULL;
}

static const char *set_header_rename(cmd_parms *cmd, void *conf_, const char *from,
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

static const char *add_field(cmd_parms *cmd, void *conf, const char *name, const char *arg)
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

/* --- the directive table -------------------------------------------------- */

#define KU_CONTEXT (RSRC_CONF | ACCESS_CONF)
#define KU_NUM_CMD(id, name, def, min, max, help) \
    AP_INIT_TAKE1(name, set_num, (void *)(intptr_t)KU_NUM_##id, KU_CONTEXT, help),
#define KU_FLAG_CMD(id, name, def, help) \
    AP_INIT_FLAG(name, set_flag, (void *)(intptr_t)KU_FLAG_##id, KU_CONTEXT, help),

const command_rec ku_cmds[] = {
    AP_INIT_RAW_ARGS("KafkaUpstreamBootstrapServers", set_bootstrap_servers, NULL,
                     KU_CONTEXT, "host:port ...: the Kafka brokers to bootstrap "
                     "from (Kong bootstrap_servers)"),
    AP_INIT_TAKE1("KafkaUpstreamTopic", set_topic, NULL, KU_CONTEXT,
                  "the topic messages go to (Kong topic)"),
    AP_INIT_TAKE1("KafkaUpstreamAcks", set_acks, NULL, KU_CONTEXT,
                  "-1|0|1|all: acknowledgements the broker gives (Kong "
                  "producer_request_acks)"),
    AP_INIT_TAKE1("KafkaUpstreamSSLCACertificateFile", set_pem_file,
                  (void *)(intptr_t)KU_STR_SSL_CA_FILE, KU_CONTEXT,
                  "PEM file of the CA(s) that signed the brokers' certificates"),
    AP_INIT_TAKE1("KafkaUpstreamSSLCertificateFile", set_pem_file,
                  (void *)(intptr_t)KU_STR_SSL_CERT_FILE, KU_CONTEXT,
                  "PEM client certificate for mTLS (Kong security.certificate_id)"),
    AP_INIT_TAKE1("KafkaUpstreamSSLCertificateKeyFile", set_key_file, NULL, KU_CONTEXT,
                  "PEM private key of the client certificate, unencrypted"),
    AP_INIT_TAKE1("KafkaUpstreamSASLMechanism", set_sasl_mechanism, NULL, KU_CONTEXT,
                  "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER (Kong authentication.mechanism)"),
    KU_OAUTH_CMDS
    AP_INIT_TAKE1("KafkaUpstreamSASLUser", set_sasl_user, NULL, KU_CONTEXT,
                  "SASL user name (Kong authentication.user)"),
    AP_INIT_TAKE1("KafkaUpstreamSASLPassword", set_secret,
                  (void *)(intptr_t)KU_STR_SASL_PASSWORD, KU_CONTEXT,
                  "SASL password, or file:/path or env:NAME (Kong authentication.password)"),
    AP_INIT_TAKE1("KafkaUpstreamKeyQueryArg", set_name,
                  (void *)(intptr_t)KU_STR_KEY_QUERY_ARG, KU_CONTEXT,
                  "query argument whose value is the message key (Kong key_query_arg)"),
    AP_INIT_TAKE1("KafkaUpstreamKey", set_key_expr, NULL, KU_CONTEXT,
                  "httpd expression whose value is the message key"),
    AP_INIT_TAKE1("KafkaUpstreamTopicsQueryArg", set_name,
                  (void *)(intptr_t)KU_STR_TOPICS_QUERY_ARG, KU_CONTEXT,
                  "query argument naming the topics, comma separated (Kong topics_query_arg)"),
    AP_INIT_ITERATE("KafkaUpstreamAllowedTopics", add_allowed_topic, NULL, KU_CONTEXT,
                    "topics a client may choose (Kong allowed_topics)"),
    AP_INIT_TAKE1("KafkaUpstreamCompression", set_choice, (void *)&choice_compression,
                  KU_CONTEXT, "none|gzip|snappy|lz4|zstd (Kong compression_type)"),
    AP_INIT_ITERATE("KafkaUpstreamRecordHeadersInclude", add_header_name,
                    (void *)(intptr_t)KU_OBJ_HEADERS_INCLUDE, KU_CONTEXT,
                    "only these request headers become record headers"),
    AP_INIT_ITERATE("KafkaUpstreamRecordHeadersExclude", add_header_name,
                    (void *)(intptr_t)KU_OBJ_HEADERS_EXCLUDE, KU_CONTEXT,
                    "these request headers never become record headers"),
    AP_INIT_TAKE2("KafkaUpstreamRecordHeaderRename", set_header_rename, NULL, KU_CONTEXT,
                  "from to: the record header name for a request header"),
    AP_INIT_TAKE1("KafkaUpstreamRecordHeadersRepeated", set_choice, (void *)&choice_repeated,
                  KU_CONTEXT, "retain_duplicates|concatenate_by_comma|take_first"),
    AP_INIT_TAKE1("KafkaUpstreamMessageFormat", set_choice, (void *)&choice_format,
                  KU_CONTEXT, "envelope|raw: the JSON envelope or the body bytes"),
    AP_INIT_TAKE2("KafkaUpstreamField", add_field, NULL, KU_CONTEXT,
                  "name expr: an envelope field from an httpd expression"),
    AP_INIT_TAKE1("KafkaUpstreamPartitioner", set_choice, (void *)&choice_partitioner,
                  KU_CONTEXT, "murmur2_random|consistent_random|crc32|random"),
    AP_INIT_TAKE1("KafkaUpstreamSplit", set_choice, (void *)&choice_split, KU_CONTEXT,
                  "none|ndjson|json-array: one record per line or array element"),
    AP_INIT_TAKE1("KafkaUpstreamAPI", set_api, (void *)&choice_api, KU_CONTEXT,
                  "kong|rest-v2: Kong's envelope, or the REST proxies' v2 produce routes "
                  "below the Location"),
    AP_INIT_TAKE1("KafkaUpstreamClusterName", set_name,
                  (void *)(intptr_t)KU_STR_CLUSTER_NAME, KU_CONTEXT,
                  "names the producer: client.id suffix (Kong cluster_name)"),
    AP_INIT_TAKE2("KafkaUpstreamProperty", set_property, NULL, RSRC_CONF,
                  "name value: any librdkafka producer property (server config only)"),
    KU_SCHEMA_CMDS
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistryCACertificateFile", set_pem_file,
                  (void *)(intptr_t)KU_STR_SR_CA_FILE, KU_CONTEXT,
                  "PEM file of the CAs that the schema registry's certificate is checked with"),
    KU_NUM_DIRECTIVES(KU_NUM_CMD)
    KU_FLAG_DIRECTIVES(KU_FLAG_CMD)
    KU_SPOOL_CMDS
    AP_INIT_TAKE1("KafkaUpstreamCloudEvents", ku_ce_set_mode, NULL, KU_CONTEXT,
                  "Off|On|Binary: requests are CloudEvents; Binary: structured ones become "
                  "Kafka binary mode"),
    AP_INIT_TAKE1("KafkaUpstreamTraceContext", ku_trace_set_mode, NULL, KU_CONTEXT,
                  "forward|generate|off: W3C traceparent and tracestate as record headers; "
                  "generate: a new traceparent for a request without one"),
    { NULL }
};

/* --- configuration walk: every section the module is configured in ------------- */

static int visit_sections(apr_array_header_t *sections, const ku_dir_conf_t *server_conf,
                          server_rec *s, apr_pool_t *p, ku_conf_visitor visit)
{
    ap_conf_vector_t **elts = (ap_conf_vector_t **)sections->elts;
    int i, rv = OK;

    for (i = 0; i < sections->nelts && rv == OK; i++) {
        const ku_dir_conf_t *c = ap_get_module_config(elts[i], &kafka_upstream_module);
        if (c)
            rv = visit(ku_merge_dir_conf(p, (void *)server_conf, (void *)c), s, p);
    }
    return rv;
}

int ku_conf_walk(server_rec *s, apr_pool_t *p, ku_conf_visitor visit)
{
    int rv = OK;

    for (; s && rv == OK; s = s->next) {
        core_server_config *core = ap_get_core_module_config(s->module_config);
        const ku_dir_conf_t *server_conf =
            ap_get_module_config(s->lookup_defaults, &kafka_upstream_module);

        rv = visit(server_conf, s, p);
        if (rv == OK)
            rv = visit_sections(core->sec_url, server_conf, s, p, visit);
        if (rv == OK)
            rv = visit_sections(core->sec_dir, server_conf, s, p, visit);
    }
    return rv;
}
