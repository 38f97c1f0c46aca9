/* SPDX-License-Identifier: Apache-2.0 */
/* conf.h: the KafkaUpstream* directives, their defaults and validation.
 *
 * Each directive family is one X-macro list that drives the enum, the
 * defaults/limits table and the directive table, and the per-dir config
 * keeps each family in an array, so create and merge are loops: a new
 * directive cannot be forgotten by the merge. */
#ifndef KU_CONF_H
#define KU_CONF_H

#include "encoder.h"
#include "httpd.h"
#include "http_config.h"
#include "ap_expr.h"
#include "apr_tables.h"

/* id, directive, default, min, max, help */
#define KU_NUM_DIRECTIVES(X) \
    X(TIMEOUT, "KafkaUpstreamTimeout", 10000, 10, 300000, \
      "ms: broker socket timeout (Kong timeout; socket.timeout.ms)") \
    X(KEEPALIVE, "KafkaUpstreamKeepalive", 60000, 0, 2147483647, \
      "ms: close idle broker connections after this (Kong keepalive; connections.max.idle.ms)") \
    X(REQUEST_TIMEOUT, "KafkaUpstreamRequestTimeout", 2000, 1, 900000, \
      "ms: broker ack timeout (Kong producer_request_timeout; request.timeout.ms)") \
    X(BATCH_MESSAGES, "KafkaUpstreamBatchMessages", 200, 1, 1000000, \
      "messages per produce request (Kong producer_request_limits_messages_per_request)") \
    X(BATCH_BYTES, "KafkaUpstreamBatchBytes", 1048576, 1, 2147483647, \
      "bytes per produce request (Kong producer_request_limits_bytes_per_request)") \
    X(RETRIES, "KafkaUpstreamRetries", 10, 0, 2147483647, \
      "send retries (Kong producer_request_retries_max_attempts)") \
    X(RETRY_BACKOFF, "KafkaUpstreamRetryBackoff", 100, 1, 300000, \
      "ms between retries (Kong producer_request_retries_backoff_timeout)") \
    X(ASYNC_FLUSH_TIMEOUT, "KafkaUpstreamAsyncFlushTimeout", 1000, 0, 900000, \
      "ms an async message may wait for its batch (Kong producer_async_flush_timeout; linger.ms)") \
    X(BUFFER_MESSAGES, "KafkaUpstreamBufferMessages", 50000, 1, 10000000, \
      "messages the local queue holds (Kong producer_async_buffering_limits_messages_in_memory)") \
    X(MAX_BODY_SIZE, "KafkaUpstreamMaxBodySize", 1048576, 0, 2147483647, \
      "bytes: larger request bodies get 413") \
    X(DELIVERY_TIMEOUT, "KafkaUpstreamDeliveryTimeout", 5000, 1, 2147483647, \
      "ms a message may take to be acknowledged (message.timeout.ms)") \
    X(SHUTDOWN_TIMEOUT, "KafkaUpstreamShutdownTimeout", 2000, 0, 600000, \
      "ms a stopping child waits to flush its queue") \
    X(SR_TTL, "KafkaUpstreamSchemaRegistryTTL", 300, 0, 3600, \
      "seconds a child uses a fetched schema before asking the registry again (0: for ever)") \
    X(MAX_RECORDS, "KafkaUpstreamMaxRecords", 10000, 1, 10000000, \
      "records one request may make (split elements times topics): more get 413") \
    X(MAX_TOPICS, "KafkaUpstreamMaxTopics", 10, 1, 1000, \
      "topics one request may ask for (KafkaUpstreamTopicsQueryArg): more get 400") \
    X(MAX_RECORD_HEADERS, "KafkaUpstreamMaxRecordHeaders", 100, 0, 100000, \
      "record headers one record may carry (KafkaUpstreamRecordHeaders): more get 431") \
    X(MAX_FORM_FIELDS, "KafkaUpstreamMaxFormFields", 1000, 1, 10000000, \
      "parts of a multipart body, or fields of an urlencoded one, parsed into body_args: more get 413")

/* id, directive, default, help */
#define KU_FLAG_DIRECTIVES(X) \
    X(KEEPALIVE_ENABLED, "KafkaUpstreamKeepaliveEnabled", 0, \
      "TCP keepalive on broker sockets (Kong keepalive_enabled)") \
    X(FORWARD_METHOD, "KafkaUpstreamForwardMethod", 0, "put the method in the message") \
    X(FORWARD_URI, "KafkaUpstreamForwardURI", 0, "put uri and uri_args in the message") \
    X(FORWARD_HEADERS, "KafkaUpstreamForwardHeaders", 0, "put the request headers in the message") \
    X(FORWARD_BODY, "KafkaUpstreamForwardBody", 1, "put body, body_args, body_base64 in the message") \
    X(ASYNC, "KafkaUpstreamAsync", 1, \
      "On: answer once queued; Off: answer after the broker acknowledged (Kong producer_async)") \
    X(SSL, "KafkaUpstreamSSL", 0, "TLS to the brokers (Kong security.ssl)") \
    X(SSL_VERIFY, "KafkaUpstreamSSLVerify", 1, \
      "verify the broker certificate chain and hostname (Kong security.ssl_verify)") \
    X(RECORD_HEADERS, "KafkaUpstreamRecordHeaders", 0, \
      "HTTP request headers as Kafka record headers (Kong headers.*)") \
    X(IDEMPOTENCE, "KafkaUpstreamIdempotence", 0, \
      "idempotent producer: no duplicates from retries (forces acks=all)") \
    X(ERROR_DETAIL, "KafkaUpstreamErrorDetail", 0, \
      "put librdkafka's error text in error answers (Kong return_error_message)") \
    X(SASL_TOKEN_AUTH, "KafkaUpstreamSASLTokenAuth", 0, \
      "SASL user and password are a delegation token's ID and HMAC, over SCRAM " \
      "(Kong authentication.tokenauth)") \
    X(SR_SSL_VERIFY, "KafkaUpstreamSchemaRegistrySSLVerify", 1, \
      "verify the schema registry's certificate and host name")

#define KU_ENUM_NUM(id, ...) KU_NUM_##id,
#define KU_ENUM_FLAG(id, ...) KU_FLAG_##id,
typedef enum { KU_NUM_DIRECTIVES(KU_ENUM_NUM) KU_NUM_COUNT } ku_num_t;
typedef enum { KU_FLAG_DIRECTIVES(KU_ENUM_FLAG) KU_FLAG_COUNT } ku_flag_t;

/* Directives with a string value, each validated by its own setter. */
typedef enum {
    KU_STR_BOOTSTRAP_SERVERS, /* comma-joined host:port list */
    KU_STR_TOPIC,
    KU_STR_ACKS,              /* "all", "0" or "1" */
    KU_STR_SSL_CA_FILE,       /* absolute paths, readable when the config was read */
    KU_STR_SSL_CERT_FILE,
    KU_STR_SSL_KEY_PEM,       /* secret: the key itself, read by the parent as root */
    KU_STR_SASL_MECHANISM,
    KU_STR_SASL_USER,
    KU_STR_SASL_PASSWORD,     /* secret: resolved from file: or env: when read */
    KU_STR_KEY_QUERY_ARG,
    KU_STR_TOPICS_QUERY_ARG,
    KU_STR_CLUSTER_NAME,
    KU_STR_OAUTH_TOKEN_ENDPOINT, /* KafkaUpstreamOAuth*: oauth.c */
    KU_STR_OAUTH_CLIENT_ID,
    KU_STR_OAUTH_CLIENT_SECRET,  /* secret, like the SASL password */
    KU_STR_OAUTH_SCOPE,          /* space separated */
    KU_STR_OAUTH_EXTENSIONS,     /* name=value,... as librdkafka takes them */
    KU_STR_OAUTH_CA_FILE,
    /* One of a fixed list of words (choice_specs in conf.c): */
    KU_STR_COMPRESSION,       /* none gzip snappy lz4 zstd */
    KU_STR_HEADERS_REPEATED,  /* retain_duplicates concatenate_by_comma take_first */
    KU_STR_MESSAGE_FORMAT,    /* envelope raw */
    KU_STR_PARTITIONER,       /* murmur2_random consistent_random crc32 random */
    KU_STR_SPLIT,             /* none ndjson json-array */
    KU_STR_API,               /* kong rest-v2 rest-v3 */
    /* The schema registry (schema_conf.c): */
    KU_STR_SR_URL,
    KU_STR_SR_CA_FILE,
    KU_STR_SR_USER,           /* set: basic auth */
    KU_STR_SR_PASSWORD,       /* secret */
    KU_STR_SR_HEADERS,        /* "Name: value" lines (values secret) */
    KU_STR_SR_CERT_FILE,      /* mTLS to the registry: the client certificate */
    KU_STR_SR_KEY_PEM,        /* secret: its key itself, read by the parent as root */
    KU_STR_SR_OAUTH_CLIENT,   /* set, not empty: OAuth2 client credentials (the
                                 secret in KU_STR_SR_PASSWORD) */
    KU_STR_SR_OAUTH_URL,      /* its token endpoint */
    KU_STR_SR_OAUTH_SCOPE,    /* space separated */
    KU_STR_SR_OAUTH_AUDIENCE, /* space separated */
    KU_STR_VALUE_SUBJECT,
    KU_STR_VALUE_VERSION,     /* "latest" or a number */
    KU_STR_KEY_SUBJECT,
    KU_STR_KEY_VERSION,
    KU_STR_VALUE_MESSAGE,     /* a PROTOBUF subject's message; "": the first */
    KU_STR_KEY_MESSAGE,
    KU_STR_SCHEMA_PAYLOAD,    /* avro_json simple_json */
    KU_STR_CLOUDEVENTS,       /* off on binary: cloudevents_req.c */
    KU_STR_TRACE_CONTEXT,     /* forward generate off: trace_context.c */
    KU_STR_IDEMPOTENCY,       /* "off|on|required <ttl>": idempotency.c */
    KU_STR_IDENTITY,          /* off bearer basic: identity.c */
    KU_STR_COUNT
} ku_str_t;

/* KafkaUpstreamField name expr */
typedef struct {
    const char *name;
    const void *expr;         /* ap_expr_info_t */
} ku_field_t;

/* A section's settings: private to conf.c, read through the getters below. */
typedef struct ku_dir_conf ku_dir_conf_t;

/* A librdkafka property as the producer will be given it. */
typedef struct {
    const char *name;
    const char *value;
} ku_prop_t;

/* A sync Location must not wait for a batch to fill: its answer waits on it. */
#define KU_SYNC_LINGER_MS 1

extern const command_rec ku_cmds[];

void *ku_create_dir_conf(apr_pool_t *p, char *dir);
void *ku_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* KafkaUpstreamSpool directory [max-size] and KafkaUpstreamSpoolSync: one
 * spool serves every virtual host (README "The spool"). */
typedef struct {
    const char *dir;            /* NULL: no spool */
    apr_off_t max_size;
    int sync;
    int location_on;            /* some section said KafkaUpstreamSpool On */
} ku_spool_conf_t;

/* The server-wide values: one set per configuration read, which every
 * virtual host's server config points at (as mod_md's sc->mc). */
typedef struct {
    ku_spool_conf_t spool;
} ku_module_conf_t;

void *ku_create_server_conf(apr_pool_t *p, server_rec *s);
/* The server-wide values, from any server's config; in a directive
 * handler cmd->server's. */
ku_module_conf_t *ku_conf_module(const server_rec *s);

/* Values with the defaults applied. Only KafkaUpstreamAcks and the choice
 * directives have a default string: any other is NULL when not set. */
int ku_conf_num(const ku_dir_conf_t *c, ku_num_t n);
int ku_conf_flag(const ku_dir_conf_t *c, ku_flag_t f);
const char *ku_conf_str(const ku_dir_conf_t *c, ku_str_t s);
/* Whether the directive was given, here or in an enclosing section. */
int ku_conf_str_is_set(const ku_dir_conf_t *c, ku_str_t s);

/* The settings held as objects (a section that sets one replaces it
 * whole); NULL when not set. */
const ap_expr_info_t *ku_conf_key_expr(const ku_dir_conf_t *c);    /* KafkaUpstreamKey */
const apr_array_header_t *ku_conf_allowed_topics(const ku_dir_conf_t *c); /* const char * */
const apr_array_header_t *ku_conf_headers_include(const ku_dir_conf_t *c); /* lower case */
const apr_array_header_t *ku_conf_headers_exclude(const ku_dir_conf_t *c); /* lower case */
const apr_table_t *ku_conf_header_rename(const ku_dir_conf_t *c);  /* from -> to */
const apr_array_header_t *ku_conf_fields(const ku_dir_conf_t *c);  /* ku_field_t */
/* KafkaUpstreamSpool On in this section (or an enclosing one). */
int ku_conf_spool(const ku_dir_conf_t *c);
/* KafkaUpstreamProperty: ku_prop_t, server-wide. */
const apr_array_header_t *ku_conf_properties(const ku_dir_conf_t *c);
/* The <Location>/<Directory> path, for messages; NULL: server config. */
const char *ku_conf_section(const ku_dir_conf_t *c);

/* For directive handlers in other files (oauth.c, schema_conf.c, spool.c):
 * conf is the section's conf they are given. A choice's index is its
 * place in the directive's word list (ku_conf_payload ...). */
void ku_conf_set_str(void *conf, ku_str_t s, const char *value);
void ku_conf_set_choice(void *conf, ku_str_t s, const char *word, int index);
void ku_conf_set_spool(void *conf, int on);
/* KafkaUpstreamMessageLua (lua_message.c): the section's Lua chunks. */
typedef struct ku_lua_chunks ku_lua_chunks_t;
const ku_lua_chunks_t *ku_conf_message_lua(const ku_dir_conf_t *c);
void ku_conf_set_message_lua(void *conf, const ku_lua_chunks_t *chunks);

/* What decides a conf's producer, for the request path's producer cache
 * (producer.c): filled by copying, without allocating or building a
 * string. Equal bytes (memcmp) mean equal producer keys
 * (ku_conf_producer_key). Opaque; zeroed padding included. */
typedef struct {
    int values[KU_NUM_COUNT + KU_FLAG_COUNT];
    const void *refs[KU_STR_COUNT + 1];
} ku_conf_producer_id_t;
void ku_conf_producer_id(const ku_dir_conf_t *c, ku_conf_producer_id_t *id);

/* The choice directives the handler follows, parsed at config time (the
 * order of each directive's word list in conf.c). */
typedef enum { KU_REPEATED_RETAIN, KU_REPEATED_CONCATENATE, KU_REPEATED_TAKE_FIRST } ku_repeated_t;
typedef enum { KU_FORMAT_ENVELOPE, KU_FORMAT_RAW } ku_format_t;
typedef enum { KU_PAYLOAD_AVRO_JSON, KU_PAYLOAD_SIMPLE_JSON } ku_payload_t;
typedef enum { KU_API_KONG, KU_API_REST_V2, KU_API_REST_V3 } ku_api_t;
ku_repeated_t ku_conf_headers_repeated(const ku_dir_conf_t *c);
ku_format_t ku_conf_format(const ku_dir_conf_t *c);
ku_split_t ku_conf_split(const ku_dir_conf_t *c);
ku_payload_t ku_conf_payload(const ku_dir_conf_t *c);
ku_api_t ku_conf_api(const ku_dir_conf_t *c);
/* Whether requests are answered before Kafka acknowledged them, which
 * decides how long records linger: KafkaUpstreamAsync under the Kong API;
 * a rest-v2 Location waits for the acknowledgement, as the REST proxies. */
int ku_conf_answers_early(const ku_dir_conf_t *c);

/* True when the conf names a cluster and a topic: it can produce. */
int ku_conf_is_complete(const ku_dir_conf_t *c);

/* Visits each server's conf and each <Location>/<Directory> section merged
 * onto it, until a visit returns other than OK (which it returns). */
typedef int (*ku_conf_visitor)(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *p);
int ku_conf_walk(server_rec *s, apr_pool_t *p, ku_conf_visitor visit);

/* A secret given literally, as file:/path (its first line) or env:NAME. */
const char *ku_conf_resolve_secret(cmd_parms *cmd, const char *arg, const char **secret);

/* Checks what single directives cannot: the combination, on the merged
 * conf. Returns NULL or an error naming the directives. */
const char *ku_conf_check(apr_pool_t *p, const ku_dir_conf_t *c);

#endif
