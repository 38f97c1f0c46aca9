/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3.c: Confluent's v3 produce API on a Location (see rest_v3.h): the
 * httpd side. rest_v3_parse.c reads the routes and bodies; this file
 * checks cluster and topic, produces and answers: the clusters, one record
 * or a stream of them (one answer object each, written as its delivery
 * report arrives), and records:batch. */
#include <limits.h>
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "mod_kafka_upstream.h"
#include "answer.h"
#include "log_limit.h"
#include "producer.h"
#include "request.h"
#include "rest_common.h"
#include "rest_v2.h"
#include "rest_v3.h"
#include "rest_v3_parse.h"
#include "rest_v3_schema.h"
#include "status.h"
#include "trace_context_req.h"

/* As the v2 dialect: the wait outlasts librdkafka's own timeout report. */
#define KU_V3_WAIT_MARGIN_MS 2000
/* How long a request waits for the cluster id when the producer has none yet. */
#define KU_V3_CLUSTER_ID_WAIT_MS 5000
#define KU_V3_READ_BYTES 8192

static ku_log_limit_t v3_failure_rl = KU_LOG_LIMIT("KU00071");

typedef struct {
    request_rec *r;
    const ku_dir_conf_t *conf;
    ku_producer_t *kp;
    const char *cluster_id;
    const char *topic;
    const apr_array_header_t *headers;  /* the request's, for every record (ku_header_t) */
    int max_headers;
    int started;            /* the answer's head is out: errors go into the stream */
} ku_v3_req_t;

/* --- answers ----------------------------------------------------------------- */

static const char *json_text(apr_pool_t *p, json_object *o)
{
    const char *s = apr_pstrdup(p, json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

    json_object_put(o);
    return s;
}

static int send_json(request_rec *r, int status, json_object *o)
{
    const char *body = json_text(r->pool, o);

    r->status = status;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only)
        ap_rputs(body, r);
    return OK;
}

static json_object *error_object(int code, const char *message)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "error_code", json_object_new_int(code));
    json_object_object_add(o, "message", json_object_new_string(message));
    return o;
}

/* A request refused before any record: the v3 error object, counted. */
static int refuse(ku_v3_req_t *q, int status, int code, const char *message)
{
    ap_discard_request_body(q->r);
    ku_status_count_request_rejected(q->r->pool, q->conf, ku_rest_reject_reason(status));
    if (status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(q->r->headers_out, "Retry-After", "1");
    return send_json(q->r, status, error_object(code, message));
}

static int refuse_method(ku_v3_req_t *q, const char *allow)
{
    apr_table_setn(q->r->headers_out, "Allow", allow);
    return refuse(q, HTTP_METHOD_NOT_ALLOWED, 405, "HTTP 405 Method Not Allowed");
}

/* One record's outcome as a v3 error: status 200 when it was written. */
static ku_v2_error_t record_outcome(const ku_v3_req_t *q, const ku_record_t *rec)
{
    ku_answer_t a = ku_answer_of(&rec->result);
    ku_v2_error_t e = { HTTP_OK, HTTP_OK, NULL };

    if (rec->result.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION
        || (a.reason == KU_REJECT_UNKNOWN_TOPIC && rec->result.outcome != KU_SEND_DONE)) {
        e.status = e.code = HTTP_NOT_FOUND;
        e.code = 40403, e.message = "This server does not host this topic-partition.";
        return e;
    }
    if (a.status == HTTP_OK)
        return e;
    e.message = a.error;
    if (ku_conf_flag(q->conf, KU_FLAG_ERROR_DETAIL) && a.kafka_error)
        e.message = apr_pstrcat(q->r->pool, a.error, ": ", a.kafka_error, NULL);
    if (a.status == HTTP_REQUEST_ENTITY_TOO_LARGE)
        e.status = e.code = a.status;
    else if (a.status == HTTP_SERVICE_UNAVAILABLE)
        e.status = a.status, e.code = 50302;
    else if (a.status == HTTP_GATEWAY_TIME_OUT)
        e.status = HTTP_INTERNAL_SERVER_ERROR, e.code = 50003;
    else
        e.status = HTTP_INTERNAL_SERVER_ERROR, e.code = 50002;
    return e;
}

static json_object *data_answer(const char *type, size_t size, int schema_id)
{
    json_object *o;

    if (!type)
        return NULL;
    o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(type));
    if (schema_id >= 0)
        json_object_object_add(o, "schema_id", json_object_new_int(schema_id));
    json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
    return o;
}

/* What a written record became: Confluent's fields of a delivery report. */
static void add_delivery(json_object *o, const ku_v3_req_t *q, const ku_v3_record_t *in,
                         const ku_record_t *rec, apr_pool_t *p)
{
    int64_t ts = rec->result.timestamp > 0 ? rec->result.timestamp : rec->timestamp;

    json_object_object_add(o, "cluster_id", json_object_new_string(q->cluster_id));
    json_object_object_add(o, "topic_name", json_object_new_string(q->topic));
    json_object_object_add(o, "partition_id", json_object_new_int(rec->result.partition));
    json_object_object_add(o, "offset", json_object_new_int64(rec->result.offset));
    json_object_object_add(o, "timestamp", ts > 0 ? json_object_new_string(
                                                         ku_v3_format_time(p, ts)) : NULL);
    json_object_object_add(o, "key", data_answer(in->key_type, in->rec.key_len,
                                                 in->key_schema_id));
    json_object_object_add(o, "value", data_answer(in->value_type, in->rec.value_len,
                                                   in->value_schema_id));
}

static void log_failure(const ku_v3_req_t *q, const ku_v2_error_t *e)
{
    if (ku_log_allowed(&v3_failure_rl, q->r->server, APLOG_ERR))
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, "KU00071: rest-v3 record for topic %s "
                      "answered %d: %s%s", q->topic, e->code, e->message,
                      ku_trace_log_suffix(q->r));
}

/* --- producing ------------------------------------------------------------------ */

/* The record as the producer takes it, with its own headers and then the
 * request's (README "REST proxy dialects"): 0, or 413 in err when they
 * are too many. */
static int to_record(apr_pool_t *p, const ku_v3_req_t *q, const ku_v3_record_t *in,
                     ku_record_t *out, ku_v2_error_t *err)
{
    const ku_v2_record_t *v = &in->rec;

    memset(out, 0, sizeof(*out));
    out->topic = q->topic;
    out->key = v->key;
    out->key_len = v->key_len;
    out->value = v->value;
    out->len = v->value_len;
    out->has_partition = v->partition >= 0;
    out->partition = v->partition;
    out->timestamp = v->timestamp;
    return ku_rest_record_headers(p, v->headers, q->headers, q->max_headers, &out->headers,
                                  err);
}

/* Sends the records and waits for every delivery report. */
static void produce(ku_v3_req_t *q, ku_record_t *records, int n, apr_pool_t *p)
{
    apr_int64_t wait_ms = (apr_int64_t)ku_conf_num(q->conf, KU_NUM_DELIVERY_TIMEOUT)
                        + KU_V3_WAIT_MARGIN_MS;
    int i;

    ku_producer_send(q->kp, records, n, 1, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms, p);
    for (i = 0; i < n; i++)
        if (records[i].result.outcome == KU_SEND_REFUSED)
            ku_producer_count_rejected(q->kp, ku_answer_of(&records[i].result).reason);
}

/* --- one record or a stream of them ---------------------------------------------- */

/* Writes one answer object of the stream and flushes it to the client. */
static apr_status_t stream_write(ku_v3_req_t *q, json_object *o, apr_pool_t *p)
{
    if (!q->started) {
        q->started = 1;
        q->r->status = HTTP_OK;
        ap_set_content_type(q->r, "application/json");
    }
    ap_rputs(json_text(p, o), q->r);
    ap_rputs("\n", q->r);
    return ap_rflush(q->r) < 0 ? APR_EGENERAL : APR_SUCCESS;
}

static apr_status_t stream_error(ku_v3_req_t *q, const ku_v2_error_t *e, apr_pool_t *p)
{
    log_failure(q, e);
    return stream_write(q, error_object(e->code, e->message), p);
}

/* One record object of the stream: parsed, produced, answered. */
static apr_status_t stream_record(ku_v3_req_t *q, json_object *o, apr_pool_t *p)
{
    ku_v3_record_t in;
    ku_record_t rec;
    ku_v2_error_t e;
    json_object *answer;

    if (ku_v3_parse_record(p, o, 0, &in, &e)
        || ku_v3_apply_schemas(q->r, q->conf, q->topic, &in, &e)
        || to_record(p, q, &in, &rec, &e)) {
        ku_producer_count_rejected(q->kp, ku_rest_reject_reason(e.status));
        return stream_error(q, &e, p);
    }
    produce(q, &rec, 1, p);
    e = record_outcome(q, &rec);
    if (e.status != HTTP_OK)
        return stream_error(q, &e, p);
    answer = json_object_new_object();
    json_object_object_add(answer, "error_code", json_object_new_int(HTTP_OK));
    add_delivery(answer, q, &in, &rec, p);
    return stream_write(q, answer, p);
}

typedef struct {
    ku_v3_stream_t *stream;
    int records;            /* objects taken so far */
    int max_records;
    int stop;               /* the stream cannot go on: the rest is not read as records */
    ku_v2_error_t why;      /* why it stopped, when the body is to blame (status != 0) */
} ku_v3_reading_t;

/* Feeds one piece of the body to the stream; each complete object is
 * produced and answered before the next is looked at. */
static apr_status_t stream_piece(ku_v3_req_t *q, ku_v3_reading_t *rd, const char *buf,
                                 apr_size_t len, apr_pool_t *p)
{
    while (len && !rd->stop) {
        json_object *o;
        ku_v2_error_t e;
        size_t used;
        int got = ku_v3_stream_feed(rd->stream, buf, len, &used, &o, &e);
        apr_status_t rv = APR_SUCCESS;

        if (got < 0) {
            rd->stop = 1;
            rd->why = e;
            return APR_SUCCESS;
        }
        buf += used, len -= used;
        if (!got)
            continue;
        if (++rd->records > rd->max_records) {
            rd->why.status = rd->why.code = HTTP_REQUEST_ENTITY_TOO_LARGE;
            rd->why.message = apr_psprintf(q->r->pool, "more than %d records in one request",
                                           rd->max_records);
            rd->stop = 1;
        }
        else
            rv = stream_record(q, o, p);
        json_object_put(o);
        apr_pool_clear(p);
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

/* Reads the body piece by piece as the client sends it. Returns at its
 * end, when it cannot go on, or when the client went away (the records
 * answered so far stay produced, the rest is never read). */
static int stream_records(ku_v3_req_t *q)
{
    request_rec *r = q->r;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    ku_v3_reading_t rd = { ku_v3_stream_make(r->pool, (size_t)ku_conf_num(
                                                 q->conf, KU_NUM_MAX_BODY_SIZE)),
                           0, (int)ku_conf_num(q->conf, KU_NUM_MAX_RECORDS), 0,
                           { 0, 0, NULL } };
    apr_pool_t *p;
    int seen_eos = 0, read_failed = 0;

    if (!rd.stream)
        return refuse(q, HTTP_SERVICE_UNAVAILABLE, 50302, "out of memory");
    apr_pool_create(&p, r->pool);
    while (!seen_eos && !rd.stop) {
        apr_bucket *b;

        if (ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ,
                           KU_V3_READ_BYTES) != APR_SUCCESS) {
            read_failed = 1;    /* cut: the client left, or its framing broke */
            break;
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb) && !rd.stop;
             b = APR_BUCKET_NEXT(b)) {
            const char *buf;
            apr_size_t len;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (apr_bucket_read(b, &buf, &len, APR_BLOCK_READ) != APR_SUCCESS
                || stream_piece(q, &rd, buf, len, p) != APR_SUCCESS)
                rd.stop = 1;
        }
        apr_brigade_cleanup(bb);
    }
    if (seen_eos && !rd.stop && ku_v3_stream_pending(rd.stream)) {
        rd.why.status = rd.why.code = HTTP_BAD_REQUEST;
        rd.why.message = "the body ends inside a record";
    }
    else if (seen_eos && !rd.stop && !q->started) {
        /* Confluent's status, code and words for it (its v3 reference). */
        rd.why.status = rd.why.code = HTTP_UNPROCESSABLE_ENTITY;
        rd.why.message = "Payload error. Request body is empty. Data is required.";
    }
    else if (read_failed && !q->started) {
        rd.why.status = rd.why.code = HTTP_BAD_REQUEST;
        rd.why.message = "request body could not be read";
    }
    /* The body's fault before any answer: its status; later, its object in the stream. */
    if (rd.why.status && !q->started)
        return refuse(q, rd.why.status, rd.why.code, rd.why.message);
    if (rd.why.status)
        stream_error(q, &rd.why, p);
    if (rd.stop)
        ap_discard_request_body(r);
    return OK;
}

/* --- records:batch --------------------------------------------------------------- */

static json_object *batch_failure(const ku_v3_record_t *e, const ku_v2_error_t *err)
{
    json_object *o = error_object(err->code, err->message ? err->message : "");

    json_object_object_add(o, "id", json_object_new_string(e->id));
    return o;
}

static int batch_records(ku_v3_req_t *q)
{
    request_rec *r = q->r;
    apr_array_header_t *entries;
    json_object *answer, *successes, *failures;
    ku_record_t *records;
    ku_v2_error_t err;
    const char *body;
    apr_size_t len;
    int status, i, n = 0;

    status = ku_read_body(r, ku_conf_num(q->conf, KU_NUM_MAX_BODY_SIZE), &body, &len);
    if (status != OK)
        return refuse(q, status, status, status == HTTP_BAD_REQUEST
                      ? "request body could not be read" : "request body too large");
    if (ku_v3_parse_batch(r->pool, body, len, ku_conf_num(q->conf, KU_NUM_MAX_RECORDS),
                          &entries, &err))
        return refuse(q, err.status, err.code, err.message);
    records = apr_pcalloc(r->pool, sizeof(*records) * (size_t)entries->nelts);
    for (i = 0; i < entries->nelts; i++) {
        ku_v3_record_t *e = &APR_ARRAY_IDX(entries, i, ku_v3_record_t);

        if (!e->err.status)
            ku_v3_apply_schemas(r, q->conf, q->topic, e, &e->err);
        if (!e->err.status && !to_record(r->pool, q, e, &records[n], &e->err))
            n++;
    }
    if (n)
        produce(q, records, n, r->pool);
    answer = json_object_new_object();
    successes = json_object_new_array();
    failures = json_object_new_array();
    for (i = 0, n = 0; i < entries->nelts; i++) {
        const ku_v3_record_t *e = &APR_ARRAY_IDX(entries, i, ku_v3_record_t);
        ku_v2_error_t outcome = e->err;
        json_object *o;

        if (!outcome.status)
            outcome = record_outcome(q, &records[n]);
        if (outcome.status != HTTP_OK) {
            log_failure(q, &outcome);
            json_object_array_add(failures, batch_failure(e, &outcome));
        }
        else {
            o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_string(e->id));
            add_delivery(o, q, e, &records[n], r->pool);
            json_object_array_add(successes, o);
        }
        n += !e->err.status;
    }
    json_object_object_add(answer, "successes", successes);
    json_object_object_add(answer, "failures", failures);
    return send_json(r, HTTP_MULTI_STATUS, answer);
}

/* --- clusters -------------------------------------------------------------------- */

/* The URL of a path below the Location, for the answers' metadata.self. */
static const char *self_url(ku_v3_req_t *q, const char *below)
{
    const char *section = ku_conf_section(q->conf);
    size_t len = strlen(section);

    while (len && section[len - 1] == '/')
        len--;
    return ap_construct_url(q->r->pool, apr_pstrcat(q->r->pool, apr_pstrmemdup(
                                                        q->r->pool, section, len),
                                                    below, NULL), q->r);
}

static json_object *related(ku_v3_req_t *q, const char *below)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "related", json_object_new_string(self_url(q, below)));
    return o;
}

static json_object *cluster_object(ku_v3_req_t *q)
{
    static const char *const relations[] = { "acls", "brokers", "broker_configs",
                                             "consumer_groups", "topics",
                                             "partition_reassignments" };
    const char *base = apr_pstrcat(q->r->pool, "/v3/clusters/", q->cluster_id, NULL);
    json_object *o = json_object_new_object(), *meta = json_object_new_object();
    size_t i;

    json_object_object_add(o, "kind", json_object_new_string("KafkaCluster"));
    json_object_object_add(meta, "self", json_object_new_string(self_url(q, base)));
    json_object_object_add(meta, "resource_name", json_object_new_string(
                               apr_pstrcat(q->r->pool, "crn:///kafka=", q->cluster_id, NULL)));
    json_object_object_add(o, "metadata", meta);
    json_object_object_add(o, "cluster_id", json_object_new_string(q->cluster_id));
    for (i = 0; i < sizeof(relations) / sizeof(relations[0]); i++)
        json_object_object_add(o, relations[i], related(
                                   q, apr_pstrcat(q->r->pool, base, "/", relations[i], NULL)));
    return o;
}

static int answer_clusters(ku_v3_req_t *q, const ku_v3_route_t *route)
{
    json_object *list, *meta, *data;

    if (q->r->method_number != M_GET)
        return refuse_method(q, "GET");
    ap_discard_request_body(q->r);
    if (route->kind == KU_V3_CLUSTER)
        return send_json(q->r, HTTP_OK, cluster_object(q));
    list = json_object_new_object();
    meta = json_object_new_object();
    data = json_object_new_array();
    json_object_object_add(list, "kind", json_object_new_string("KafkaClusterList"));
    json_object_object_add(meta, "self", json_object_new_string(self_url(q, "/v3/clusters")));
    json_object_object_add(meta, "next", NULL);
    json_object_object_add(list, "metadata", meta);
    json_object_array_add(data, cluster_object(q));
    json_object_object_add(list, "data", data);
    return send_json(q->r, HTTP_OK, list);
}

/* --- the request -------------------------------------------------------------------- */

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

/* Only JSON is answered and taken. */
static int json_media(const char *value)
{
    size_t len;

    if (!value)
        return 1;
    len = strcspn(value, "; \t");
    return (len == 16 && !strncasecmp(value, "application/json", len))
        || (len == 3 && !strncmp(value, "*/*", len))
        || (len == 13 && !strncasecmp(value, "application/*", len));
}

static int accepts_json(const char *accept)
{
    const char *element = accept;

    if (!accept || !*accept)
        return 1;
    for (; element; element = strchr(element, ',') ? strchr(element, ',') + 1 : NULL) {
        while (*element == ' ' || *element == '\t')
            element++;
        if (json_media(element))
            return 1;
    }
    return 0;
}

/* The request's Content-Type: application/json, parameters allowed. */
static int json_content_type(const char *type)
{
    return !strncasecmp(type, "application/json", 16)
        && (!type[16] || type[16] == ';' || type[16] == ' ' || type[16] == '\t');
}

static int produce_route(ku_v3_req_t *q, const ku_v3_route_t *route)
{
    const char *type = apr_table_get(q->r->headers_in, "Content-Type");
    const apr_array_header_t *checked;
    ku_v2_error_t err;

    if (q->r->method_number != M_POST)
        return refuse_method(q, "POST");
    if (!ku_v2_topic_name_ok(route->topic))
        return refuse(q, HTTP_NOT_FOUND, 40403, "This server does not host this "
                      "topic-partition.");
    if (!ku_topic_allowed(q->conf, route->topic))
        return refuse(q, HTTP_FORBIDDEN, 40301, "topic not allowed");
    if (type && !json_content_type(type))
        return refuse(q, HTTP_UNSUPPORTED_MEDIA_TYPE, 415, "HTTP 415 Unsupported Media Type");
    q->max_headers = ku_conf_num(q->conf, KU_NUM_MAX_RECORD_HEADERS);
    q->headers = ku_request_record_headers(q->r, q->conf, q->max_headers);
    if (ku_rest_record_headers(q->r->pool, NULL, q->headers, q->max_headers, &checked, &err))
        return refuse(q, err.status, err.code, err.message); /* every record would be */
    q->topic = route->topic;
    return route->kind == KU_V3_BATCH ? batch_records(q) : stream_records(q);
}

/* The cluster's id as its brokers give it (librdkafka asks them once). */
static const char *cluster_id(apr_pool_t *p, ku_producer_t *kp)
{
    char *id = rd_kafka_clusterid(ku_producer_handle(kp), KU_V3_CLUSTER_ID_WAIT_MS);
    const char *copy = id ? apr_pstrdup(p, id) : NULL;

    if (id)
        rd_kafka_mem_free(ku_producer_handle(kp), id);
    return copy;
}

int ku_rest_v3_handle(request_rec *r, const ku_dir_conf_t *conf)
{
    ku_v3_req_t q = { r, conf, NULL, NULL, NULL, NULL, 0, 0 };
    const char *error = NULL;
    ku_v3_route_t route;
    ku_v2_error_t err;
    int found = ku_v3_route(r->pool, route_path(r, conf), &route, &err);

    if (found < 0)
        return ku_rest_v2_handle(r, conf);
    if (!accepts_json(apr_table_get(r->headers_in, "Accept")))
        return refuse(&q, HTTP_NOT_ACCEPTABLE, 406, "HTTP 406 Not Acceptable");
    if (found)
        return refuse(&q, err.status, err.code, err.message);
    if (!(q.kp = ku_producer_for(r->pool, conf, r->server, &error)))
        return refuse(&q, HTTP_SERVICE_UNAVAILABLE, 50302, "producer unavailable");
    if (!(q.cluster_id = cluster_id(r->pool, q.kp)))
        return refuse(&q, HTTP_SERVICE_UNAVAILABLE, 50302, "the cluster id is not known: "
                      "brokers unreachable");
    if (route.kind != KU_V3_CLUSTERS && strcmp(route.cluster_id, q.cluster_id))
        return refuse(&q, HTTP_NOT_FOUND, 404, apr_psprintf(r->pool, "Cluster %s cannot be "
                                                            "found.", route.cluster_id));
    if (route.kind == KU_V3_CLUSTERS || route.kind == KU_V3_CLUSTER)
        return answer_clusters(&q, &route);
    return produce_route(&q, &route);
}
