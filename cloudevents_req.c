/* SPDX-License-Identifier: Apache-2.0 */
/* cloudevents_req.c: a CloudEvents request's records, in Kafka's binary or
 * structured content mode (README "CloudEvents"); the parsing and checks
 * are cloudevents.c's. */
#include <string.h>

#include "apr_strings.h"

#include "cloudevents.h"
#include "cloudevents_req.h"

static const char *const ce_words[] = { "off", "on", "binary" };
enum { KU_CE_OFF, KU_CE_ON, KU_CE_TO_BINARY };

const char *ku_ce_set_mode(cmd_parms *cmd, void *conf, const char *arg)
{
    int i;

    for (i = 0; i < 3; i++)
        if (!strcasecmp(arg, ce_words[i])) {
            ku_conf_set_choice(conf, KU_STR_CLOUDEVENTS, ce_words[i], i);
            return NULL;
        }
    return apr_psprintf(cmd->pool, "%s: invalid value '%s': Off, On or Binary is allowed",
                        cmd->cmd->name, arg);
}

static int ce_mode(const ku_dir_conf_t *conf)
{
    const char *word = ku_conf_str(conf, KU_STR_CLOUDEVENTS);

    return !word ? KU_CE_OFF : !strcmp(word, "on") ? KU_CE_ON
         : !strcmp(word, "binary") ? KU_CE_TO_BINARY : KU_CE_OFF;
}

int ku_ce_enabled(const ku_dir_conf_t *conf)
{
    return ce_mode(conf) != KU_CE_OFF;
}

static void push_header(apr_array_header_t *out, const char *name, const char *value,
                        apr_size_t len)
{
    ku_header_t *h = apr_array_push(out);

    h->name = name;
    h->value = value;
    h->value_len = len;
}

/* The request's own record headers but those that would pose as the
 * event's: ce-*, ce_* and content-type are the event's alone. */
static apr_array_header_t *request_headers(apr_pool_t *p, const apr_array_header_t *in)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(ku_header_t));
    int i;

    for (i = 0; in && i < in->nelts; i++) {
        const ku_header_t *h = &APR_ARRAY_IDX(in, i, ku_header_t);

        if (strncasecmp(h->name, "ce-", 3) && strncasecmp(h->name, "ce_", 3)
            && strcasecmp(h->name, "content-type"))
            *(ku_header_t *)apr_array_push(out) = *h;
    }
    return out;
}

/* Kafka's binary mode: an attribute is a ce_ header, the data's type is
 * content-type; structured mode: content-type names the event format. */
static apr_array_header_t *event_headers(apr_pool_t *p, const apr_array_header_t *base,
                                         const ku_ce_event_t *ev, int binary)
{
    apr_array_header_t *out = apr_array_copy(p, base);
    int i;

    if (!binary) {
        push_header(out, "content-type", "application/cloudevents+json", 0);
        return out;
    }
    for (i = 0; i < ev->attrs->nelts; i++) {
        const ku_ce_attr_t *a = &APR_ARRAY_IDX(ev->attrs, i, ku_ce_attr_t);

        push_header(out, apr_pstrcat(p, "ce_", a->name, NULL), a->value, 0);
    }
    if (ev->datacontenttype)
        push_header(out, "content-type", ev->datacontenttype, 0);
    return out;
}

/* The events of the request, at most max: OK, or an HTTP status. */
static int request_events(request_rec *r, const char *body, apr_size_t len, int max,
                          apr_array_header_t **events, int *binary_in, const char **error)
{
    const char *content_type = apr_table_get(r->headers_in, "Content-Type");
    ku_ce_mode_t mode = ku_ce_mode(content_type);
    int rc;

    *binary_in = mode == KU_CE_BINARY;
    if (mode == KU_CE_UNSUPPORTED) {
        *error = "CloudEvents: only the JSON event format is supported";
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    if (mode == KU_CE_BINARY) {
        *events = apr_array_make(r->pool, 1, sizeof(ku_ce_event_t));
        return ku_ce_from_binary(r->pool, r->headers_in, content_type, body, len,
                                 apr_array_push(*events), error) ? HTTP_BAD_REQUEST : OK;
    }
    rc = ku_ce_from_json(r->pool, body, len, mode == KU_CE_BATCH, max, events, error);
    if (rc == -2) {
        *error = apr_psprintf(r->pool, "too many records: at most %d per request", max);
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    if (!rc && !(*events)->nelts) {
        *error = "CloudEvents batch is empty";
        return HTTP_BAD_REQUEST;
    }
    return rc ? HTTP_BAD_REQUEST : OK;
}

int ku_ce_build_records(request_rec *r, const ku_dir_conf_t *conf,
                        const apr_array_header_t *topics, const char *body,
                        apr_size_t body_len, const char *key, apr_size_t key_len,
                        const apr_array_header_t *headers, ku_record_t **records, int *n,
                        const char **error)
{
    int max = ku_conf_num(conf, KU_NUM_MAX_RECORDS);
    int max_headers = ku_conf_num(conf, KU_NUM_MAX_RECORD_HEADERS);
    apr_array_header_t *events, *base = request_headers(r->pool, headers);
    int i, t, status, binary_in;

    status = request_events(r, body, body_len, max / topics->nelts ? max / topics->nelts : 1,
                            &events, &binary_in, error);
    if (status != OK)
        return status;
    if (events->nelts * topics->nelts > max) {
        *error = apr_psprintf(r->pool, "too many records: at most %d per request", max);
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    *n = events->nelts * topics->nelts;
    *records = apr_pcalloc(r->pool, sizeof(ku_record_t) * (size_t)*n);
    for (i = 0; i < events->nelts; i++) {
        const ku_ce_event_t *ev = &APR_ARRAY_IDX(events, i, ku_ce_event_t);
        int binary = binary_in || ce_mode(conf) == KU_CE_TO_BINARY;
        apr_array_header_t *h = event_headers(r->pool, base, ev, binary);
        int has_partitionkey = ev->partitionkey && *ev->partitionkey; /* "": no key */

        if (h->nelts > max_headers) {
            *error = apr_psprintf(r->pool, "too many record headers: at most %d per record",
                                  max_headers);
            return HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        for (t = 0; t < topics->nelts; t++) {
            ku_record_t *rec = &(*records)[i * topics->nelts + t];

            rec->topic = APR_ARRAY_IDX(topics, t, const char *);
            rec->key = has_partitionkey ? ev->partitionkey : key;
            rec->key_len = has_partitionkey ? strlen(ev->partitionkey) : key_len;
            rec->value = binary ? ev->data : ev->json;
            rec->len = binary ? ev->data_len : ev->json_len;
            rec->headers = h->nelts ? h : NULL;
        }
    }
    return OK;
}
