/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v2.c: the REST proxies' v2 produce API on a Location (see
 * rest_v2.h): the httpd side. rest_v2_parse.c reads the request; this file
 * checks the topic, produces and answers as the peers do. */
#include <limits.h>
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_log.h"
#include "http_protocol.h"
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "mod_kafka_upstream.h"
#include "answer.h"
#include "log_limit.h"
#include "producer.h"
#include "rest_v2.h"
#include "request.h"
#include "rest_common.h"
#include "rest_v2_parse.h"
#include "rest_v2_schema.h"
#include "spool.h"
#include "status.h"
#include "trace_context_req.h"
#include "urlencoded.h"

/* As the Kong handler: the wait outlasts librdkafka's own timeout report. */
#define KU_V2_WAIT_MARGIN_MS 2000

static ku_log_limit_t v2_failure_rl = KU_LOG_LIMIT("KU00063");

typedef struct {
    request_rec *r;
    const ku_dir_conf_t *conf;
    const char *answer_type;    /* the media type the client accepts */
    int key_schema_id;          /* the schemas used, for the answer; -1: none */
    int value_schema_id;
} ku_v2_req_t;

/* --- answers ----------------------------------------------------------------- */

static int send_json(ku_v2_req_t *q, int status, json_object *o)
{
    const char *body = apr_pstrdup(q->r->pool, json_object_to_json_string_ext(
                                       o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

    json_object_put(o);
    q->r->status = status;
    ap_set_content_type(q->r, q->answer_type);
    ap_set_content_length(q->r, strlen(body));
    if (!q->r->header_only)
        ap_rputs(body, q->r);
    return OK;
}

/* {"error_code":..,"message":..}, the peers' error object. */
static int write_error(ku_v2_req_t *q, const ku_v2_error_t *err)
{
    json_object *o = json_object_new_object();

    ap_discard_request_body(q->r);
    json_object_object_add(o, "error_code", json_object_new_int(err->code));
    json_object_object_add(o, "message", json_object_new_string(err->message));
    if (err->status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(q->r->headers_out, "Retry-After", "1");
    if (err->status == HTTP_METHOD_NOT_ALLOWED)
        apr_table_setn(q->r->headers_out, "Allow", "POST");
    return send_json(q, err->status, o);
}

/* A request refused before any record was queued: counted for the status
 * page, by the reason both dialects give its status. */
static int send_error(ku_v2_req_t *q, const ku_v2_error_t *err)
{
    ku_status_count_request_rejected(q->r->pool, q->conf, ku_rest_reject_reason(err->status));
    return write_error(q, err);
}

static int refuse(ku_v2_req_t *q, int status, int code, const char *message)
{
    ku_v2_error_t err = { status, code, message };

    return send_error(q, &err);
}

/* One record's outcome in the peers' terms. Unknown topics and partitions
 * are the client's 404s; what Kafka refused is 50002, what may succeed if
 * sent again (no acknowledgement in time) 50003; brokers or a producer
 * that cannot be used, 50302. */
static ku_v2_error_t record_outcome(apr_pool_t *p, const ku_dir_conf_t *conf,
                                    const ku_record_t *rec)
{
    ku_answer_t a = ku_answer_of(&rec->result);
    ku_v2_error_t e = { HTTP_OK, 0, NULL };
    const char *detail = a.error;

    if (rec->result.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        e.status = HTTP_NOT_FOUND, e.code = 40402, e.message = "Partition not found.";
        return e;
    }
    if (a.status == HTTP_OK)
        return e;
    if (ku_conf_flag(conf, KU_FLAG_ERROR_DETAIL) && a.kafka_error)
        detail = apr_pstrcat(p, a.error, ": ", a.kafka_error, NULL);
    e.message = detail;
    if (a.reason == KU_REJECT_UNKNOWN_TOPIC && rec->result.outcome != KU_SEND_DONE)
        e.status = HTTP_NOT_FOUND, e.code = 40401, e.message = "Topic not found.";
    else if (a.status == HTTP_REQUEST_ENTITY_TOO_LARGE)
        e.status = a.status, e.code = 413;
    else if (a.status == HTTP_SERVICE_UNAVAILABLE)
        e.status = a.status, e.code = 50302;
    else if (a.status == HTTP_GATEWAY_TIME_OUT)
        e.status = HTTP_INTERNAL_SERVER_ERROR, e.code = 50003;
    else
        e.status = HTTP_INTERNAL_SERVER_ERROR, e.code = 50002;
    return e;
}

static json_object *offset_entry(const ku_record_t *rec, const ku_v2_error_t *e, int sync)
{
    json_object *o = json_object_new_object();
    int known = e->status == HTTP_OK && sync;

    json_object_object_add(o, "partition", known && rec->result.partition >= 0
                           ? json_object_new_int(rec->result.partition) : NULL);
    json_object_object_add(o, "offset", known && rec->result.offset >= 0
                           ? json_object_new_int64(rec->result.offset) : NULL);
    json_object_object_add(o, "error_code", e->code ? json_object_new_int(e->code) : NULL);
    json_object_object_add(o, "error", e->message ? json_object_new_string(e->message) : NULL);
    return o;
}

/* Every record refused the same way the client or the brokers are to
 * blame for (404, 413, 503) gets the error object; otherwise the offsets,
 * each record's failure in its entry, as the peers answer. An async
 * request whose records were all queued: 204. */
static int send_offsets(ku_v2_req_t *q, const ku_record_t *records, int n, int sync)
{
    ku_v2_error_t *outcome = apr_palloc(q->r->pool, sizeof(*outcome) * (size_t)n);
    json_object *answer, *offsets;
    int i, failed = 0;

    for (i = 0; i < n; i++) {
        outcome[i] = record_outcome(q->r->pool, q->conf, &records[i]);
        if (outcome[i].status != HTTP_OK) {
            failed++;
            if (ku_log_allowed(&v2_failure_rl, q->r->server, APLOG_ERR))
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, "KU00063: rest-v2 record "
                              "for topic %s answered %d: %s%s", records[i].topic,
                              outcome[i].code, outcome[i].message, ku_trace_log_suffix(q->r));
        }
    }
    if (failed == n && outcome[0].status != HTTP_INTERNAL_SERVER_ERROR)
        return write_error(q, &outcome[0]);
    if (!sync && !failed) {
        q->r->status = HTTP_NO_CONTENT;
        return OK;
    }
    answer = json_object_new_object();
    offsets = json_object_new_array();
    for (i = 0; i < n; i++)
        json_object_array_add(offsets, offset_entry(&records[i], &outcome[i], sync));
    json_object_object_add(answer, "offsets", offsets);
    json_object_object_add(answer, "key_schema_id", q->key_schema_id >= 0
                           ? json_object_new_int(q->key_schema_id) : NULL);
    json_object_object_add(answer, "value_schema_id", q->value_schema_id >= 0
                           ? json_object_new_int(q->value_schema_id) : NULL);
    return send_json(q, HTTP_OK, answer);
}

/* --- the request -------------------------------------------------------------- */

/* What follows the Location's path; NULL when the section is not a prefix
 * of the URI (a regular-expression section). */
static const char *route_path(const request_rec *r, const ku_dir_conf_t *conf)
{
    const char *section = ku_conf_section(conf);
    size_t len = section ? strlen(section) : 0;

    while (len && section[len - 1] == '/')
        len--;
    if (!section || strncmp(r->uri, section, len))
        return NULL;
    return r->uri + len;
}

/* Strimzi's ?async=true, read by the one query decoder (urlencoded.c). */
static ku_arg_t query_async(request_rec *r, int *async)
{
    const char *value = NULL;
    ku_arg_t found = ku_query_arg(r->pool, r->args, "async", &value);

    *async = found == KU_ARG_FOUND && !strcasecmp(value, "true");
    return found;
}

/* The parsed records as the producer takes them, each with its own
 * headers and then the request's (README "REST proxy dialects"): NULL
 * and err when a record would have too many. */
static ku_record_t *to_records(apr_pool_t *p, const char *topic, const apr_array_header_t *in,
                               const apr_array_header_t *request_headers, int max_headers,
                               ku_v2_error_t *err)
{
    ku_record_t *out = apr_pcalloc(p, sizeof(*out) * (size_t)in->nelts);
    int i;

    for (i = 0; i < in->nelts; i++) {
        const ku_v2_record_t *v = &APR_ARRAY_IDX(in, i, ku_v2_record_t);

        if (ku_rest_record_headers(p, v->headers, request_headers, max_headers,
                                   &out[i].headers, err))
            return NULL;
        out[i].topic = topic;
        out[i].key = v->key;
        out[i].key_len = v->key_len;
        out[i].value = v->value;
        out[i].len = v->value_len;
        out[i].has_partition = v->partition >= 0;
        out[i].partition = v->partition;
        out[i].timestamp = v->timestamp;
    }
    return out;
}

/* The spool keeps topic, key, value and text headers: records with more
 * (a chosen partition or timestamp, a header value holding NUL) are sent
 * without it. */
static int spool_keeps(const ku_record_t *records, int n)
{
    int i, h;

    for (i = 0; i < n; i++) {
        const ku_header_t *hs = records[i].headers ? (const ku_header_t *)records[i].headers->elts
                                                   : NULL;

        if (records[i].has_partition || records[i].timestamp || !records[i].value)
            return 0;
        for (h = 0; hs && h < records[i].headers->nelts; h++)
            if (hs[h].value_len && strlen(hs[h].value) != hs[h].value_len)
                return 0;
    }
    return 1;
}

static int produce(ku_v2_req_t *q, ku_record_t *records, int n, int sync)
{
    request_rec *r = q->r;
    const char *error = NULL;
    apr_int64_t wait_ms = (apr_int64_t)ku_conf_num(q->conf, KU_NUM_DELIVERY_TIMEOUT)
                        + KU_V2_WAIT_MARGIN_MS;
    ku_producer_t *kp = ku_producer_for(r->pool, q->conf, r->server, &error);
    int i, spooled;

    if (!kp)
        return refuse(q, HTTP_SERVICE_UNAVAILABLE, 50302, "producer unavailable");
    spooled = ku_spool_wanted(q->conf, sync) && spool_keeps(records, n);
    if (spooled)
        ku_spool_send(kp, records, n, r->pool);
    else
        ku_producer_send(kp, records, n, sync, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms,
                         r->pool);
    for (i = 0; i < n; i++)
        if (!spooled && records[i].result.outcome == KU_SEND_REFUSED)
            ku_producer_count_rejected(kp, ku_answer_of(&records[i].result).reason);
    return send_offsets(q, records, n, sync);
}

int ku_rest_v2_handle(request_rec *r, const ku_dir_conf_t *conf)
{
    ku_v2_req_t q = { r, conf, "application/vnd.kafka.v2+json", -1, -1 };
    int max_headers = ku_conf_num(conf, KU_NUM_MAX_RECORD_HEADERS);
    const char *topic, *body;
    apr_array_header_t *parsed, *headers;
    const apr_array_header_t *checked;
    ku_record_t *records;
    ku_v2_schemas_t schemas;
    ku_v2_format_t format;
    ku_v2_error_t err;
    int32_t partition;
    apr_size_t len;
    int status, async;

    if (!(q.answer_type = ku_v2_answer_type(r->pool, apr_table_get(r->headers_in, "Accept")))) {
        q.answer_type = "application/json";
        return refuse(&q, HTTP_NOT_ACCEPTABLE, 406, "HTTP 406 Not Acceptable");
    }
    if (ku_v2_route(r->pool, route_path(r, conf), &topic, &partition, &err))
        return send_error(&q, &err);
    if (r->method_number != M_POST)
        return refuse(&q, HTTP_METHOD_NOT_ALLOWED, 405, "HTTP 405 Method Not Allowed");
    if (!ku_v2_topic_name_ok(topic))
        return refuse(&q, HTTP_NOT_FOUND, 40401, "Topic not found.");
    if (!ku_topic_allowed(conf, topic))
        return refuse(&q, HTTP_FORBIDDEN, 40301, "topic not allowed");
    if (query_async(r, &async) == KU_ARG_INVALID)
        return refuse(&q, HTTP_BAD_REQUEST, 400, "query argument async cannot be decoded");
    if (ku_v2_content_type(apr_table_get(r->headers_in, "Content-Type"), &format, &err))
        return send_error(&q, &err);
    headers = ku_request_record_headers(r, conf, max_headers);
    if (ku_rest_record_headers(r->pool, NULL, headers, max_headers, &checked, &err))
        return send_error(&q, &err); /* too many before the body's own: not read */
    status = ku_read_body(r, ku_conf_num(conf, KU_NUM_MAX_BODY_SIZE), &body, &len);
    if (status != OK)
        return refuse(&q, status, status, status == HTTP_BAD_REQUEST
                      ? "request body could not be read" : "request body too large");
    if (ku_v2_parse_body(r->pool, body, len, format, ku_conf_num(conf, KU_NUM_MAX_RECORDS),
                         partition, &parsed, &schemas, &err)
        || ku_v2_apply_schemas(r, conf, topic, format, &schemas, parsed, &q.key_schema_id,
                               &q.value_schema_id, &err))
        return send_error(&q, &err);
    if (!(records = to_records(r->pool, topic, parsed, headers, max_headers, &err)))
        return send_error(&q, &err);
    return produce(&q, records, parsed->nelts, !async);
}
