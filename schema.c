/* SPDX-License-Identifier: Apache-2.0 */
/* schema.c: a record's value and key through the schema registry: the
 * schema from the child's cache (schema_registry.c), the bytes from
 * avro_encode.c (AVRO subjects), protobuf_encode.cc (PROTOBUF subjects) or, validated by json_schema.c, as they
 * came (JSON subjects). */
#include <string.h>

#include <json-c/json.h>
#include "body_args.h"
#include "apr_strings.h"
#include "httpd.h"
#include "http_log.h"

#include "mod_kafka_upstream.h"
#include "avro_encode.h"
#include "encoder.h"
#include "schema.h"
#include "schema_registry.h"
#include "trace_context_req.h"

ku_sr_conf_t ku_schema_registry_conf(const ku_dir_conf_t *conf)
{
    const char *user = ku_conf_str(conf, KU_STR_SR_USER);
    ku_sr_conf_t c = {
        .url = ku_conf_str(conf, KU_STR_SR_URL),
        .ttl = ku_conf_num(conf, KU_NUM_SR_TTL),
        .ssl_verify = ku_conf_flag(conf, KU_FLAG_SR_SSL_VERIFY),
        .ca_file = ku_conf_str(conf, KU_STR_SR_CA_FILE),
        .user = user && *user ? user : NULL,
        .password = ku_conf_str(conf, KU_STR_SR_PASSWORD),
        .headers = ku_conf_str(conf, KU_STR_SR_HEADERS),
        .cert_file = ku_conf_str(conf, KU_STR_SR_CERT_FILE),
        .key_pem = ku_conf_str(conf, KU_STR_SR_KEY_PEM),
    };
    const char *client = ku_conf_str(conf, KU_STR_SR_OAUTH_CLIENT);

    if (client && *client) {
        c.oauth_url = ku_conf_str(conf, KU_STR_SR_OAUTH_URL);
        c.oauth_client = client;
        c.oauth_secret = c.password;
        c.oauth_scope = ku_conf_str(conf, KU_STR_SR_OAUTH_SCOPE);
        c.oauth_audience = ku_conf_str(conf, KU_STR_SR_OAUTH_AUDIENCE);
        c.password = NULL;
    }
    return c;
}

/* A key is text; one that is not a JSON document is taken as a JSON string. */
static const char *key_as_json(apr_pool_t *p, const char *data, apr_size_t len)
{
    json_object *j = json_tokener_parse(apr_pstrmemdup(p, data, len)), *s;
    const char *out;

    if (j || (len == 4 && !memcmp(data, "null", 4))) {
        json_object_put(j);
        return apr_pstrmemdup(p, data, len);
    }
    s = json_object_new_string_len(data, (int)len);
    out = apr_pstrdup(p, json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
    json_object_put(s);
    return out;
}

/* A JSON Schema subject: the JSON bytes as they came, validated first, after
 * the 5-byte Confluent header. */
static int json_framed(apr_pool_t *p, const ku_sr_schema_t *schema, int is_key,
                       const char *data, apr_size_t len, const char **out, apr_size_t *out_len,
                       const char **error)
{
    const char *what = is_key ? "the key" : "the body";
    json_object *doc = NULL;
    const char *bad = ku_parse_json_body(p, data, len, &doc);
    char why[512];
    char *framed;
    int ok;

    if (bad) {
        *error = apr_psprintf(p, "%s does not match the schema: $: %s", what, bad);
        return HTTP_BAD_REQUEST;
    }
    ok = ku_js_validate(schema->json, doc, why, sizeof(why));
    json_object_put(doc);
    if (!ok) {
        *error = apr_psprintf(p, "%s does not match the schema: %s", what, why);
        return HTTP_BAD_REQUEST;
    }
    framed = apr_palloc(p, len + 5);
    ku_confluent_header(framed, schema->id);
    memcpy(framed + 5, data, len);
    *out = framed;
    *out_len = len + 5;
    return OK;
}

/* A Protobuf subject: the JSON (proto3 mapping) as the subject's message. */
static int protobuf_framed(apr_pool_t *p, const ku_sr_schema_t *schema, int is_key,
                           const char *data, apr_size_t len, const char **out,
                           apr_size_t *out_len, const char **error)
{
    char *bytes;
    size_t n;

    if (ku_pb_encode(p, schema->pb, schema->id, data, len, &bytes, &n, error)) {
        *error = apr_psprintf(p, "%s does not match the schema (Protobuf %s): %s",
                              is_key ? "the key" : "the body", ku_pb_message_name(schema->pb),
                              *error);
        return HTTP_BAD_REQUEST;
    }
    *out = bytes;
    *out_len = n;
    return OK;
}

static int status_of(ku_sr_status_t st)
{
    return st == KU_SR_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE : HTTP_INTERNAL_SERVER_ERROR;
}

int ku_schema_encode_with(apr_pool_t *p, const ku_sr_schema_t *schema, int is_key,
                          int key_text, ku_avro_payload_t payload, const char *data,
                          apr_size_t len, const char **out, apr_size_t *out_len,
                          const char **error)
{
    char *bytes;
    size_t n;

    if (is_key && key_text)
        data = key_as_json(p, data, len), len = strlen(data);
    if (schema->is_protobuf)
        return protobuf_framed(p, schema, is_key, data, len, out, out_len, error);
    if (!schema->is_avro)
        return json_framed(p, schema, is_key, data, len, out, out_len, error);
    if (ku_avro_encode(p, schema->avro, schema->id, payload, data, len, &bytes, &n, error)) {
        *error = apr_pstrcat(p, is_key ? "the key does not match its schema: "
                                       : "the body does not match the schema: ",
                             *error, NULL);
        return HTTP_BAD_REQUEST;
    }
    *out = bytes;
    *out_len = n;
    return OK;
}

void ku_schema_log_warning(request_rec *r, ku_sr_status_t st, const char *what,
                           const char *warning)
{
    if (warning && st == KU_SR_BROKEN)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00036: %s cannot be used: %s%s", what,
                      warning, ku_trace_log_suffix(r));
    else if (warning && st != KU_SR_INVALID)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "KU00035: %s: %s%s", what, warning,
                      ku_trace_log_suffix(r));
}

int ku_schema_encode(request_rec *r, const ku_dir_conf_t *conf, int is_key, const char *data,
                     apr_size_t len, const char **out, apr_size_t *out_len, const char **error)
{
    const char *subject = ku_conf_str(conf, is_key ? KU_STR_KEY_SUBJECT : KU_STR_VALUE_SUBJECT);
    const char *version = ku_conf_str(conf, is_key ? KU_STR_KEY_VERSION : KU_STR_VALUE_VERSION);
    const char *message = ku_conf_str(conf, is_key ? KU_STR_KEY_MESSAGE : KU_STR_VALUE_MESSAGE);
    ku_sr_conf_t rc = ku_schema_registry_conf(conf);
    const ku_sr_schema_t *schema;
    const char *warning = NULL, *why = NULL;
    ku_sr_status_t st;

    *out = data;
    *out_len = len;
    if (!subject || !rc.url)
        return OK;
    st = ku_sr_lookup(r->pool, &rc, subject, version, message && *message ? message : NULL,
                      &schema, &why, &warning);
    ku_schema_log_warning(r, st, apr_psprintf(r->pool, "subject %s version %s", subject,
                                              version), warning);
    if (st != KU_SR_OK) {
        *error = why;
        return status_of(st);
    }
    return ku_schema_encode_with(r->pool, schema, is_key, 1,
                                 ku_conf_payload(conf) == KU_PAYLOAD_SIMPLE_JSON
                                     ? KU_AVRO_SIMPLE_JSON : KU_AVRO_JSON,
                                 data, len, out, out_len, error);
}
