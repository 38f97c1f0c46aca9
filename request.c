/* SPDX-License-Identifier: Apache-2.0 */
/* request.c: topics, key, record headers and envelope fields of a request,
 * and the records they make (README "The message"). */
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_expr.h"
#include "http_protocol.h"

#include "mod_kafka_upstream.h"
#include "encoder.h"
#include "log_limit.h"
#include "request.h"
#include "schema.h"
#include "lua_message.h"
#include "cloudevents_req.h"
#include "trace_context_req.h"
#include "idempotency.h"
#include "urlencoded.h"

/* --- the query string ----------------------------------------------------- */

/* The query argument the configuration names, decoded as uri_args are
 * (urlencoded.c): OK with *value (NULL when absent), or 400 naming it
 * when it cannot be decoded: never mistaken for an absent argument. */
static int query_arg(request_rec *r, const char *name, const char **value,
                     const char **error)
{
    switch (ku_query_arg(r->pool, r->args, name, value)) {
    case KU_ARG_FOUND:
        return OK;
    case KU_ARG_ABSENT:
        *value = NULL;
        return OK;
    default:
        *error = apr_psprintf(r->pool, "query argument %s cannot be decoded", name);
        return HTTP_BAD_REQUEST;
    }
}

/* --- topics ---------------------------------------------------------------- */

int ku_topic_allowed(const ku_dir_conf_t *conf, const char *topic)
{
    const apr_array_header_t *allowed = ku_conf_allowed_topics(conf);
    int i;

    if (!strcmp(topic, ku_conf_str(conf, KU_STR_TOPIC)))
        return 1;
    for (i = 0; allowed && i < allowed->nelts; i++)
        if (!strcmp(topic, APR_ARRAY_IDX(allowed, i, const char *)))
            return 1;
    return 0;
}

static int topic_listed(const apr_array_header_t *topics, const char *topic)
{
    int i;

    for (i = 0; i < topics->nelts; i++)
        if (!strcmp(topic, APR_ARRAY_IDX(topics, i, const char *)))
            return 1;
    return 0;
}

int ku_request_topics(request_rec *r, const ku_dir_conf_t *conf,
                      apr_array_header_t **topics, const char **error)
{
    const char *arg_name = ku_conf_str(conf, KU_STR_TOPICS_QUERY_ARG);
    const char *asked = NULL;
    char *list, *last, *topic;
    int status;

    if (arg_name && (status = query_arg(r, arg_name, &asked, error)) != OK)
        return status;
    *topics = apr_array_make(r->pool, 2, sizeof(const char *));
    if (!asked || !*asked) {
        APR_ARRAY_PUSH(*topics, const char *) = ku_conf_str(conf, KU_STR_TOPIC);
        return OK;
    }
    list = apr_pstrdup(r->pool, asked);
    for (topic = apr_strtok(list, ", ", &last); topic; topic = apr_strtok(NULL, ", ", &last)) {
        if (!ku_topic_allowed(conf, topic)) {
            *error = "topic not allowed";
            return HTTP_FORBIDDEN;
        }
        if (!topic_listed(*topics, topic))
            APR_ARRAY_PUSH(*topics, const char *) = topic;
    }
    if (!(*topics)->nelts)
        APR_ARRAY_PUSH(*topics, const char *) = ku_conf_str(conf, KU_STR_TOPIC);
    return OK;
}

/* --- key and fields ---------------------------------------------------------- */

/* An expression that fails, fails for every request. */
static ku_log_limit_t key_expr_rl = KU_LOG_LIMIT("KU00013");
static ku_log_limit_t field_expr_rl = KU_LOG_LIMIT("KU00014");

/* KafkaUpstreamKeyQueryArg when the request has it, else KafkaUpstreamKey;
 * an empty value is no key. OK, or 400 when the argument cannot be decoded. */
static int record_key(request_rec *r, const ku_dir_conf_t *conf, const char **key,
                      const char **error)
{
    const char *arg_name = ku_conf_str(conf, KU_STR_KEY_QUERY_ARG);
    const ap_expr_info_t *expr = ku_conf_key_expr(conf);
    const char *expr_error = NULL;
    int status;

    *key = NULL;
    if (arg_name && (status = query_arg(r, arg_name, key, error)) != OK)
        return status;
    if (!*key && expr) {
        *key = ap_expr_str_exec(r, expr, &expr_error);
        if (expr_error && ku_log_allowed(&key_expr_rl, r->server, APLOG_WARNING))
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "KU00013: KafkaUpstreamKey: %s%s",
                          expr_error, ku_trace_log_suffix(r));
    }
    if (*key && !**key)
        *key = NULL;
    return OK;
}

static apr_array_header_t *config_fields(request_rec *r, const ku_dir_conf_t *conf)
{
    const apr_array_header_t *fields = ku_conf_fields(conf);
    apr_array_header_t *values;
    int i;

    if (!fields)
        return NULL;
    values = apr_array_make(r->pool, fields->nelts, sizeof(ku_enc_field_t));
    for (i = 0; i < fields->nelts; i++) {
        const ku_field_t *field = &APR_ARRAY_IDX(fields, i, ku_field_t);
        ku_enc_field_t *value = apr_array_push(values);
        const char *error = NULL;

        value->name = field->name;
        value->value = ap_expr_str_exec(r, field->expr, &error);
        if (error && ku_log_allowed(&field_expr_rl, r->server, APLOG_WARNING))
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "KU00014: KafkaUpstreamField "
                          "%s: %s%s", field->name, error, ku_trace_log_suffix(r));
    }
    return values;
}

/* --- record headers ---------------------------------------------------------- */

static int name_listed(const apr_array_header_t *names, const char *name)
{
    int i;

    for (i = 0; names && i < names->nelts; i++)
        if (!strcasecmp(name, APR_ARRAY_IDX(names, i, const char *)))
            return 1;
    return 0;
}

/* Pushes each element of a header httpd merged with ", " (commas inside
 * quoted strings belong to their element); only the first with take_first.
 * Stops once out holds more than max: the request is refused then. */
static void push_elements(apr_pool_t *p, apr_array_header_t *out, const char *name,
                          const char *value, int first_only, int max)
{
    const char *start = value, *c;
    int quoted = 0;

    for (c = value;; c++) {
        if (*c == '"' && (c == value || c[-1] != '\\'))
            quoted = !quoted;
        if (*c == '\0' || (*c == ',' && !quoted)) {
            ku_header_t *h;
            const char *end = c;

            while (start < end && apr_isspace(*start))
                start++;
            while (end > start && apr_isspace(end[-1]))
                end--;
            h = apr_array_push(out);
            h->name = name;
            h->value = apr_pstrmemdup(p, start, (apr_size_t)(end - start));
            if (!*c || first_only || out->nelts > max)
                return;
            start = c + 1;
        }
    }
}

static int header_present(const apr_array_header_t *headers, const char *name)
{
    int i;

    for (i = 0; i < headers->nelts; i++)
        if (!strcasecmp(name, APR_ARRAY_IDX(headers, i, ku_header_t).name))
            return 1;
    return 0;
}

/* Whether name is what a KafkaUpstreamRecordHeaderRename makes: a
 * client's own header of that name would pose as the renamed one. */
static int is_rename_target(const apr_table_t *rename, const char *name)
{
    const apr_array_header_t *pairs = rename ? apr_table_elts(rename) : NULL;
    int i;

    for (i = 0; pairs && i < pairs->nelts; i++)
        if (!strcasecmp(name, APR_ARRAY_IDX(pairs, i, apr_table_entry_t).val))
            return 1;
    return 0;
}

apr_array_header_t *ku_request_record_headers(request_rec *r, const ku_dir_conf_t *conf,
                                              int max)
{
    apr_array_header_t *out = apr_array_make(r->pool, 8, sizeof(ku_header_t));
    const apr_array_header_t *in = apr_table_elts(r->headers_in);
    const apr_table_t *rename = ku_conf_header_rename(conf);
    const apr_array_header_t *include = ku_conf_headers_include(conf);
    const apr_array_header_t *exclude = ku_conf_headers_exclude(conf);
    ku_repeated_t mode = ku_conf_headers_repeated(conf);
    int i;

    for (i = 0; ku_conf_flag(conf, KU_FLAG_RECORD_HEADERS) && i < in->nelts
                && out->nelts <= max; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(in, i, apr_table_entry_t);
        const char *name;

        if ((include && !name_listed(include, e->key)) || name_listed(exclude, e->key)
            || ku_trace_owns_header(conf, e->key) || ku_idem_owns_header(conf, e->key))
            continue;
        /* Lower-case whatever the protocol (HTTP/2 sends it so, and so does
         * the envelope); a rename target keeps the administrator's spelling. */
        name = rename && apr_table_get(rename, e->key) ? apr_table_get(rename, e->key) : NULL;
        if (!name && is_rename_target(rename, e->key))
            continue; /* the renamed header alone may carry this name */
        if (!name)
            ap_str_tolower((char *)(name = apr_pstrdup(r->pool, e->key)));
        if (mode == KU_REPEATED_CONCATENATE) {
            ku_header_t *h = apr_array_push(out);
            h->name = name;
            h->value = e->val;
        }
        else
            push_elements(r->pool, out, name, e->val, mode == KU_REPEATED_TAKE_FIRST, max);
    }
    ku_trace_headers(r, conf, out);
    return out;
}

/* The record headers of the envelope's records, or NULL for none; more
 * than max of them (the caller refuses the request then) stops the count
 * at max + 1. */
static apr_array_header_t *record_headers(request_rec *r, const ku_dir_conf_t *conf, int max)
{
    apr_array_header_t *out = ku_request_record_headers(r, conf, max);
    const char *content_type = apr_table_get(r->headers_in, "Content-Type");

    ku_idem_headers(r, conf, out);
    /* A raw value says what it is in a record header. */
    if (ku_conf_format(conf) == KU_FORMAT_RAW && content_type
        && !header_present(out, "Content-Type")) {
        ku_header_t *h = apr_array_push(out);
        h->name = "content-type";
        h->value = content_type;
    }
    return out->nelts ? out : NULL;
}

/* --- the records ----------------------------------------------------------------- */

/* The value of one record: the body (or split element) as it is in raw
 * format, else the envelope around it, made in p. A split element is a
 * JSON body. */
static int record_value(request_rec *r, apr_pool_t *p, const ku_dir_conf_t *conf,
                        const ku_slice_t *slice, int split, const apr_array_header_t *fields,
                        ku_slice_t *value, const char **error)
{
    ku_request_t req = {
        .method = r->method,
        .uri = r->unparsed_uri,
        .query = r->args,
        .headers = r->headers_in,
        .content_type = split ? "application/json" : apr_table_get(r->headers_in, "Content-Type"),
        .body = slice->data,
        .body_len = slice->len,
    };
    ku_encode_opts_t opts = {
        .forward_method = ku_conf_flag(conf, KU_FLAG_FORWARD_METHOD),
        .forward_uri = ku_conf_flag(conf, KU_FLAG_FORWARD_URI),
        .forward_headers = ku_conf_flag(conf, KU_FLAG_FORWARD_HEADERS),
        .forward_body = ku_conf_flag(conf, KU_FLAG_FORWARD_BODY),
        .fields = fields,
    };

    if (ku_conf_format(conf) == KU_FORMAT_RAW) {
        *value = *slice;
        return OK;
    }
    return ku_encode_envelope(p, &req, &opts, &value->data, &value->len, error)
               == KU_ENC_OK ? OK : HTTP_BAD_REQUEST;
}

/* The value after the section's message functions (README "Lua message
 * functions"): value->data NULL when one dropped it; *key may change. */
static int lua_value(request_rec *r, apr_pool_t *p, const ku_dir_conf_t *conf,
                     const ku_lua_chunks_t *lua, ku_slice_t *value, const char **key,
                     apr_size_t *key_len, const char **error)
{
    const char *out;
    apr_size_t out_len = 0;
    int status = ku_lua_message_run(r, lua, ku_conf_format(conf) == KU_FORMAT_RAW,
                                    value->data, value->len, key, key_len, p, &out, &out_len,
                                    error);

    value->data = out;
    value->len = out_len;
    return status;
}

/* The split elements, refused beyond KafkaUpstreamMaxRecords (README
 * "Limits"): each element makes one record per topic. */
static int split_records(request_rec *r, const ku_dir_conf_t *conf, int ntopics,
                         const char *body, apr_size_t body_len, apr_array_header_t **slices,
                         const char **error)
{
    int max = ku_conf_num(conf, KU_NUM_MAX_RECORDS);
    ku_enc_status_t rc = ku_split_body_max(r->pool, body, body_len, ku_conf_split(conf),
                                           max / ntopics ? max / ntopics : 1, slices, error);

    if (rc == KU_ENC_BAD_BODY)
        return HTTP_BAD_REQUEST;
    /* OK, yet one element can be more records than allowed with many topics */
    if (rc == KU_ENC_OK && (*slices)->nelts * ntopics <= max)
        return OK;
    *error = apr_psprintf(r->pool, "too many records: at most %d per request", max);
    return HTTP_REQUEST_ENTITY_TOO_LARGE;
}

int ku_build_records(request_rec *r, const ku_dir_conf_t *conf,
                     const apr_array_header_t *topics, const char *body,
                     apr_size_t body_len, ku_record_t **records, int *n,
                     const char **error)
{
    ku_split_t split = ku_conf_split(conf);
    int max_headers = ku_conf_num(conf, KU_NUM_MAX_RECORD_HEADERS);
    apr_array_header_t *slices, *fields = config_fields(r, conf);
    const apr_array_header_t *headers = record_headers(r, conf, max_headers);
    const char *key;
    apr_size_t key_len;
    const ku_lua_chunks_t *lua = ku_conf_message_lua(conf);
    apr_pool_t *scratch;
    int i, t, kept, status;

    if (headers && headers->nelts > max_headers) {
        *error = apr_psprintf(r->pool, "too many record headers: at most %d per record",
                              max_headers);
        return HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    if ((status = record_key(r, conf, &key, error)) != OK)
        return status;
    key_len = key ? strlen(key) : 0;
    if (ku_ce_enabled(conf))
        return ku_ce_build_records(r, conf, topics, body, body_len, key, key_len, headers,
                                   records, n, error);
    if ((status = split_records(r, conf, topics->nelts, body, body_len, &slices, error)) != OK)
        return status;
    /* With message functions the key may change per record: encoded below. */
    if (key && !lua
        && (status = ku_schema_encode(r, conf, 1, key, key_len, &key, &key_len, error)) != OK)
        return status;
    *n = slices->nelts * topics->nelts;
    *records = apr_pcalloc(r->pool, sizeof(ku_record_t) * (size_t)*n);
    /* The envelope's scratch (a few hundred bytes) is given back after each
     * record: only the value stays, so a request's memory is its records'. */
    apr_pool_create(&scratch, r->pool);
    for (i = 0, kept = 0; i < slices->nelts; i++) {
        const ku_slice_t *slice = &APR_ARRAY_IDX(slices, i, ku_slice_t);
        const char *rec_key = key;
        apr_size_t rec_key_len = key_len;
        ku_slice_t value;

        apr_pool_clear(scratch);
        status = record_value(r, scratch, conf, slice, split != KU_SPLIT_NONE, fields, &value,
                              error);
        if (status == OK && lua) {
            status = lua_value(r, scratch, conf, lua, &value, &rec_key, &rec_key_len, error);
            if (status == OK && !value.data)
                continue; /* dropped by a function */
        }
        if (status == OK)
            status = ku_schema_encode(r, conf, 0, value.data, value.len, &value.data,
                                      &value.len, error);
        if (status == OK && lua && rec_key)
            status = ku_schema_encode(r, conf, 1, rec_key, rec_key_len, &rec_key,
                                      &rec_key_len, error);
        if (status != OK)
            return status; /* *error may live in scratch: kept until the request ends */
        if (value.data != slice->data)
            value.data = apr_pmemdup(r->pool, value.data, value.len);
        for (t = 0; t < topics->nelts; t++) {
            ku_record_t *rec = &(*records)[kept * topics->nelts + t];

            rec->topic = APR_ARRAY_IDX(topics, t, const char *);
            rec->key = rec_key;
            rec->key_len = rec_key_len;
            rec->value = value.data;
            rec->len = value.len;
            rec->headers = headers;
        }
        kept++;
    }
    *n = kept * topics->nelts;
    return OK;
}
