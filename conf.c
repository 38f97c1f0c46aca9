/* SPDX-License-Identifier: Apache-2.0 */
/* conf.c: the directive table, create/merge, the defaults and the typed
 * getters (the handlers are conf_cmds.c's and the feature files'; the
 * combinations are checked in conf_check.c). */
#include <stdint.h>
#include <string.h>

#include "apr_strings.h"
#include "http_core.h"

#include "conf_int.h"
#include "mod_kafka_upstream.h"
/* The feature files' handlers, for the table (t/tools/include-cycles.pl). */
#include "oauth.h"          /* directive handlers */
#include "schema_conf.h"    /* directive handlers */
#include "spool.h"          /* directive handlers */
#include "lua_message.h"    /* directive handlers */
#include "cloudevents_req.h"    /* directive handlers */
#include "trace_context_req.h"  /* directive handlers */
#include "idempotency.h"        /* directive handlers */
#include "identity.h"           /* directive handlers */

/* The defaults table: Kong's defaults where Kong has the field. */
#define KU_NUM_ROW(id, name, def, min, max, help) [KU_NUM_##id] = { name, def, min, max },
#define KU_FLAG_ROW(id, name, def, help) [KU_FLAG_##id] = { name, def },
const ku_num_spec_t ku_num_specs[KU_NUM_COUNT] = { KU_NUM_DIRECTIVES(KU_NUM_ROW) };
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
    c->spool = KU_SPOOL_UNSET;
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
    c->spool = add->spool != KU_SPOOL_UNSET ? add->spool : base->spool;
    c->section = add->section ? add->section : base->section;
    c->props = add->props && base->props ? apr_array_append(p, base->props, add->props)
             : add->props ? add->props : base->props;
    return c;
}

/* A server's config: only the way to the server-wide values. */
typedef struct {
    ku_module_conf_t *mc;
} ku_srv_conf_t;

/* Every server of one configuration read shares the module conf: it hangs
 * off the configuration pool, so a restart starts from a fresh one. */
void *ku_create_server_conf(apr_pool_t *p, server_rec *s)
{
    static const char key[] = "kafka_upstream_module_conf";
    ku_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    void *mc = NULL;

    apr_pool_userdata_get(&mc, key, p);
    if (!mc) {
        mc = apr_pcalloc(p, sizeof(ku_module_conf_t));
        apr_pool_userdata_set(mc, key, apr_pool_cleanup_null, p);
    }
    sc->mc = mc;
    return sc;
}

ku_module_conf_t *ku_conf_module(const server_rec *s)
{
    const ku_srv_conf_t *sc = ap_get_module_config(s->module_config, &kafka_upstream_module);

    return sc->mc;
}

int ku_conf_num(const ku_dir_conf_t *c, ku_num_t n)
{
    return c->num[n] != -1 ? c->num[n] : ku_num_specs[n].def;
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
    return c->spool == KU_SPOOL_ON;
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
    ((ku_dir_conf_t *)conf)->spool = on ? KU_SPOOL_ON : KU_SPOOL_OFF;
}

const ku_lua_chunks_t *ku_conf_message_lua(const ku_dir_conf_t *c)
{
    return c->obj[KU_OBJ_MESSAGE_LUA];
}

void ku_conf_set_message_lua(void *conf, const ku_lua_chunks_t *chunks)
{
    ((ku_dir_conf_t *)conf)->obj[KU_OBJ_MESSAGE_LUA] = chunks;
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

/* The choice directives' words: a choice's index is its place in its list,
 * in the order of ku_repeated_t, ku_format_t, ku_split_t and ku_api_t. */
static const char *const compressions[] = { "none", "gzip", "snappy", "lz4", "zstd", NULL };
static const char *const repeated_modes[] = { "retain_duplicates", "concatenate_by_comma",
                                              "take_first", NULL };
static const char *const formats[] = { "envelope", "raw", NULL };
static const char *const partitioners[] = { "murmur2_random", "consistent_random", "crc32",
                                            "random", NULL };
static const char *const splits[] = { "none", "ndjson", "json-array", NULL };
static const char *const apis[] = { "kong", "rest-v2", "rest-v3", NULL };

static const ku_choice_t choice_compression = {
    KU_STR_COMPRESSION, compressions, "none, gzip, snappy, lz4 or zstd" };
static const ku_choice_t choice_repeated = {
    KU_STR_HEADERS_REPEATED, repeated_modes,
    "retain_duplicates, concatenate_by_comma or take_first" };
static const ku_choice_t choice_format = { KU_STR_MESSAGE_FORMAT, formats, "envelope or raw" };
static const ku_choice_t choice_partitioner = {
    KU_STR_PARTITIONER, partitioners, "murmur2_random, consistent_random, crc32 or random" };
static const ku_choice_t choice_split = { KU_STR_SPLIT, splits, "none, ndjson or json-array" };
static const ku_choice_t choice_api = { KU_STR_API, apis, "kong, rest-v2 or rest-v3" };

/* --- the directive table -------------------------------------------------- */

#define KU_CONTEXT (RSRC_CONF | ACCESS_CONF)
#define KU_NUM_CMD(id, name, def, min, max, help) \
    AP_INIT_TAKE1(name, ku_cmd_num, (void *)(intptr_t)KU_NUM_##id, KU_CONTEXT, help),
#define KU_FLAG_CMD(id, name, def, help) \
    AP_INIT_FLAG(name, ku_cmd_flag, (void *)(intptr_t)KU_FLAG_##id, KU_CONTEXT, help),

const command_rec ku_cmds[] = {
    AP_INIT_RAW_ARGS("KafkaUpstreamBootstrapServers", ku_cmd_bootstrap_servers, NULL,
                     KU_CONTEXT, "host:port ...: the Kafka brokers to bootstrap "
                     "from (Kong bootstrap_servers)"),
    AP_INIT_TAKE1("KafkaUpstreamTopic", ku_cmd_topic, NULL, KU_CONTEXT,
                  "the topic messages go to (Kong topic)"),
    AP_INIT_TAKE1("KafkaUpstreamAcks", ku_cmd_acks, NULL, KU_CONTEXT,
                  "-1|0|1|all: acknowledgements the broker gives (Kong "
                  "producer_request_acks)"),
    AP_INIT_TAKE1("KafkaUpstreamSSLCACertificateFile", ku_cmd_pem_file,
                  (void *)(intptr_t)KU_STR_SSL_CA_FILE, KU_CONTEXT,
                  "PEM file of the CA(s) that signed the brokers' certificates"),
    AP_INIT_TAKE1("KafkaUpstreamSSLCertificateFile", ku_cmd_pem_file,
                  (void *)(intptr_t)KU_STR_SSL_CERT_FILE, KU_CONTEXT,
                  "PEM client certificate for mTLS (Kong security.certificate_id)"),
    AP_INIT_TAKE1("KafkaUpstreamSSLCertificateKeyFile", ku_cmd_key_file, NULL, KU_CONTEXT,
                  "PEM private key of the client certificate, unencrypted"),
    AP_INIT_TAKE1("KafkaUpstreamSASLMechanism", ku_cmd_sasl_mechanism, NULL, KU_CONTEXT,
                  "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER (Kong authentication.mechanism)"),
    AP_INIT_TAKE1("KafkaUpstreamOAuthTokenEndpoint", ku_oauth_set_token_endpoint, NULL,
                  KU_CONTEXT, "http(s) URL of the OAuth token endpoint "
                  "(Kong authentication.oauthbearer.token_endpoint_url)"),
    AP_INIT_TAKE1("KafkaUpstreamOAuthClientId", ku_oauth_set_client_id, NULL, KU_CONTEXT,
                  "OAuth client ID (Kong authentication.oauthbearer.client_id)"),
    AP_INIT_TAKE1("KafkaUpstreamOAuthClientSecret", ku_cmd_secret,
                  (void *)(intptr_t)KU_STR_OAUTH_CLIENT_SECRET, KU_CONTEXT,
                  "OAuth client secret, or file:/path or env:NAME "
                  "(Kong authentication.oauthbearer.client_secret)"),
    AP_INIT_ITERATE("KafkaUpstreamOAuthScope", ku_oauth_add_scope, NULL, KU_CONTEXT,
                    "scopes to ask for (Kong authentication.oauthbearer.scopes)"),
    AP_INIT_TAKE2("KafkaUpstreamOAuthExtension", ku_oauth_add_extension, NULL, KU_CONTEXT,
                  "name value: a SASL extension sent to the broker, e.g. logicalCluster "
                  "(Kong authentication.oauthbearer.extensions)"),
    AP_INIT_FLAG("KafkaUpstreamOAuthTokenEndpointSSLVerify", ku_oauth_set_ssl_verify, NULL,
                 KU_CONTEXT, "On: verify the token endpoint's certificate (Kong "
                 "authentication.oauthbearer.token_endpoint_tls_verify); Off is refused"),
    AP_INIT_TAKE1("KafkaUpstreamOAuthTokenEndpointCAFile", ku_cmd_pem_file,
                  (void *)(intptr_t)KU_STR_OAUTH_CA_FILE, KU_CONTEXT,
                  "PEM file of the CA(s) that signed the token endpoint's certificate"),
    AP_INIT_TAKE1("KafkaUpstreamSASLUser", ku_cmd_sasl_user, NULL, KU_CONTEXT,
                  "SASL user name (Kong authentication.user)"),
    AP_INIT_TAKE1("KafkaUpstreamSASLPassword", ku_cmd_secret,
                  (void *)(intptr_t)KU_STR_SASL_PASSWORD, KU_CONTEXT,
                  "SASL password, or file:/path or env:NAME (Kong authentication.password)"),
    AP_INIT_TAKE1("KafkaUpstreamKeyQueryArg", ku_cmd_name,
                  (void *)(intptr_t)KU_STR_KEY_QUERY_ARG, KU_CONTEXT,
                  "query argument whose value is the message key (Kong key_query_arg)"),
    AP_INIT_TAKE1("KafkaUpstreamKey", ku_cmd_key_expr, NULL, KU_CONTEXT,
                  "httpd expression whose value is the message key"),
    AP_INIT_TAKE1("KafkaUpstreamTopicsQueryArg", ku_cmd_name,
                  (void *)(intptr_t)KU_STR_TOPICS_QUERY_ARG, KU_CONTEXT,
                  "query argument naming the topics, comma separated (Kong topics_query_arg)"),
    AP_INIT_ITERATE("KafkaUpstreamAllowedTopics", ku_cmd_allowed_topic, NULL, KU_CONTEXT,
                    "topics a client may choose (Kong allowed_topics)"),
    AP_INIT_TAKE1("KafkaUpstreamCompression", ku_cmd_choice, (void *)&choice_compression,
                  KU_CONTEXT, "none|gzip|snappy|lz4|zstd (Kong compression_type)"),
    AP_INIT_ITERATE("KafkaUpstreamRecordHeadersInclude", ku_cmd_header_name,
                    (void *)(intptr_t)KU_OBJ_HEADERS_INCLUDE, KU_CONTEXT,
                    "only these request headers become record headers"),
    AP_INIT_ITERATE("KafkaUpstreamRecordHeadersExclude", ku_cmd_header_name,
                    (void *)(intptr_t)KU_OBJ_HEADERS_EXCLUDE, KU_CONTEXT,
                    "these request headers never become record headers"),
    AP_INIT_TAKE2("KafkaUpstreamRecordHeaderRename", ku_cmd_header_rename, NULL, KU_CONTEXT,
                  "from to: the record header name for a request header"),
    AP_INIT_TAKE1("KafkaUpstreamRecordHeadersRepeated", ku_cmd_choice, (void *)&choice_repeated,
                  KU_CONTEXT, "retain_duplicates|concatenate_by_comma|take_first"),
    AP_INIT_TAKE1("KafkaUpstreamMessageFormat", ku_cmd_choice, (void *)&choice_format,
                  KU_CONTEXT, "envelope|raw: the JSON envelope or the body bytes"),
    AP_INIT_TAKE2("KafkaUpstreamField", ku_cmd_field, NULL, KU_CONTEXT,
                  "name expr: an envelope field from an httpd expression"),
    AP_INIT_TAKE1("KafkaUpstreamPartitioner", ku_cmd_choice, (void *)&choice_partitioner,
                  KU_CONTEXT, "murmur2_random|consistent_random|crc32|random"),
    AP_INIT_TAKE1("KafkaUpstreamSplit", ku_cmd_choice, (void *)&choice_split, KU_CONTEXT,
                  "none|ndjson|json-array: one record per line or array element"),
    AP_INIT_TAKE1("KafkaUpstreamAPI", ku_cmd_choice, (void *)&choice_api, KU_CONTEXT,
                  "kong|rest-v2|rest-v3: Kong's envelope, or the REST proxies' v2 "
                  "(rest-v3: v3 and v2) produce routes below the Location"),
    AP_INIT_TAKE1("KafkaUpstreamClusterName", ku_cmd_name,
                  (void *)(intptr_t)KU_STR_CLUSTER_NAME, KU_CONTEXT,
                  "names the producer: client.id suffix (Kong cluster_name)"),
    AP_INIT_TAKE2("KafkaUpstreamProperty", ku_cmd_property, NULL, RSRC_CONF,
                  "name value: any librdkafka producer property (server config only)"),
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistry", ku_schema_set_url, NULL, KU_CONTEXT,
                  "http(s) URL of a Confluent-compatible Schema Registry "
                  "(Kong schema_registry.confluent.url)"),
    AP_INIT_TAKE13("KafkaUpstreamSchemaRegistryAuth", ku_schema_set_auth, NULL, KU_CONTEXT,
                   "none, basic USER SECRET or oauth2 CLIENT_ID CLIENT_SECRET (SECRET "
                   "literal, file:PATH or env:NAME)"),
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistryOAuthTokenEndpoint", ku_schema_set_token_endpoint,
                  NULL, KU_CONTEXT, "http(s) URL the oauth2 registry token is asked at "
                  "(client credentials grant)"),
    AP_INIT_ITERATE("KafkaUpstreamSchemaRegistryOAuthScope", ku_schema_add_oauth_word,
                    (void *)(intptr_t)KU_STR_SR_OAUTH_SCOPE, KU_CONTEXT,
                    "scope...: scopes asked for with the registry token"),
    AP_INIT_ITERATE("KafkaUpstreamSchemaRegistryOAuthAudience", ku_schema_add_oauth_word,
                    (void *)(intptr_t)KU_STR_SR_OAUTH_AUDIENCE, KU_CONTEXT,
                    "audience...: audiences asked for with the registry token"),
    AP_INIT_TAKE123("KafkaUpstreamValueSchema", ku_schema_set_subject,
                    (void *)(intptr_t)KU_STR_VALUE_SUBJECT, KU_CONTEXT,
                    "subject [version|latest] [message=pkg.Name]: encode the value with this "
                    "schema (Kong value_schema)"),
    AP_INIT_TAKE123("KafkaUpstreamKeySchema", ku_schema_set_subject,
                    (void *)(intptr_t)KU_STR_KEY_SUBJECT, KU_CONTEXT,
                    "subject [version|latest] [message=pkg.Name]: encode the key with this "
                    "schema (Kong key_schema)"),
    AP_INIT_TAKE1("KafkaUpstreamSchemaPayload", ku_schema_set_payload, NULL, KU_CONTEXT,
                  "avro_json (unions tagged) or simple_json (Kong payload_encoding)"),
    AP_INIT_TAKE2("KafkaUpstreamSchemaRegistryHeader", ku_schema_add_header, NULL, KU_CONTEXT,
                  "name value: a header sent on every schema registry request, e.g. "
                  "target-sr-cluster (value literal, file:PATH or env:NAME)"),
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistryCertificateFile", ku_cmd_pem_file,
                  (void *)(intptr_t)KU_STR_SR_CERT_FILE, KU_CONTEXT,
                  "PEM client certificate for mTLS to the schema registry"),
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistryCertificateKeyFile", ku_cmd_key_file,
                  (void *)(intptr_t)KU_STR_SR_KEY_PEM, KU_CONTEXT,
                  "PEM private key of that certificate, unencrypted"),
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistryCACertificateFile", ku_cmd_pem_file,
                  (void *)(intptr_t)KU_STR_SR_CA_FILE, KU_CONTEXT,
                  "PEM file of the CAs that the schema registry's certificate is checked with"),
    KU_NUM_DIRECTIVES(KU_NUM_CMD)
    KU_FLAG_DIRECTIVES(KU_FLAG_CMD)
    AP_INIT_TAKE12("KafkaUpstreamSpool", ku_spool_cmd, NULL, KU_CONTEXT,
                   "server config: directory [max-size]: keep accepted async records "
                   "on disk until Kafka acknowledged them; per Location: On|Off"),
    AP_INIT_FLAG("KafkaUpstreamSpoolSync", ku_spool_sync_cmd, NULL, RSRC_CONF,
                 "On: fdatasync the spool (group commit) before answering"),
    AP_INIT_RAW_ARGS("KafkaUpstreamMessageLua", ku_lua_message_cmd, NULL, KU_CONTEXT,
                     "file.lua ...: Lua functions that change or drop each message "
                     "(Kong message_by_lua_functions)"),
    AP_INIT_TAKE1("KafkaUpstreamCloudEvents", ku_ce_set_mode, NULL, KU_CONTEXT,
                  "Off|On|Binary: requests are CloudEvents; Binary: structured ones become "
                  "Kafka binary mode"),
    AP_INIT_TAKE1("KafkaUpstreamTraceContext", ku_trace_set_mode, NULL, KU_CONTEXT,
                  "forward|generate|off: W3C traceparent and tracestate as record headers; "
                  "generate: a new traceparent for a request without one"),
    AP_INIT_TAKE12("KafkaUpstreamIdempotency", ku_idem_set_mode, NULL, KU_CONTEXT,
                   "Off|On|Required [ttl-seconds]: a retried Idempotency-Key gets the kept "
                   "answer and produces nothing; Required: 400 without a key"),
    AP_INIT_TAKE1("KafkaUpstreamIdempotencyTableSize", ku_idem_set_table_size, NULL, RSRC_CONF,
                  "server config: Idempotency-Key entries kept in shared memory, the least "
                  "recently used evicted when full"),
    /* Identity passthrough (identity.c) */
    AP_INIT_TAKE1("KafkaUpstreamIdentity", ku_identity_set_mode, NULL, KU_CONTEXT,
                  "Off|Bearer|Basic: produce as the caller, with the request's Bearer token "
                  "(SASL OAUTHBEARER) or Basic user and password (the section's SASL mechanism)"),
    AP_INIT_TAKE12("KafkaUpstreamIdentityProducers", ku_identity_set_producers, NULL, RSRC_CONF,
                   "server config: N [idle-seconds]: each child's pool of callers' producers "
                   "(default 16, 300)"),
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
