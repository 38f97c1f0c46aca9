/* SPDX-License-Identifier: Apache-2.0 */
/* cloudevents.h: CloudEvents 1.0 read from an HTTP request, in its three
 * HTTP content modes, and what each event becomes in Kafka's binding
 * (README "CloudEvents"). httpd-free: the request is given as APR types. */
#ifndef KU_CLOUDEVENTS_H
#define KU_CLOUDEVENTS_H

#include <apr_pools.h>
#include <apr_tables.h>

/* How an HTTP request carries its events, told by its Content-Type. */
typedef enum {
    KU_CE_BINARY,       /* ce-* headers, the body is the data */
    KU_CE_STRUCTURED,   /* application/cloudevents+json */
    KU_CE_BATCH,        /* application/cloudevents-batch+json */
    KU_CE_UNSUPPORTED   /* another application/cloudevents* format */
} ku_ce_mode_t;

/* A context attribute or extension, its value as a string (a JSON number
 * or boolean as JSON writes it). */
typedef struct {
    const char *name;
    const char *value;
} ku_ce_attr_t;

/* One event, checked. */
typedef struct {
    apr_array_header_t *attrs;  /* ku_ce_attr_t: all but datacontenttype and
                                 * partitionkey, which are below */
    const char *datacontenttype; /* NULL: none */
    const char *partitionkey;   /* NULL: none; the record key */
    const char *data;           /* the data as binary mode carries it */
    apr_size_t data_len;
    const char *json;           /* structured and batched: the event as JSON */
    apr_size_t json_len;
} ku_ce_event_t;

ku_ce_mode_t ku_ce_mode(const char *content_type);

/* An HTTP binary-mode event: the ce-* headers (percent-decoded) and the
 * body. 0, or -1 with *error naming the attribute at fault. */
int ku_ce_from_binary(apr_pool_t *p, const apr_table_t *headers, const char *content_type,
                      const char *body, apr_size_t len, ku_ce_event_t *ev,
                      const char **error);

/* The events of a structured (one JSON object) or batched (a JSON array of
 * them) body: ku_ce_event_t in *events, at most max (more: -2). 0, or -1
 * with *error naming the event and the attribute at fault. */
int ku_ce_from_json(apr_pool_t *p, const char *body, apr_size_t len, int batch, int max,
                    apr_array_header_t **events, const char **error);

/* Whether s is an RFC 3339 date-time. */
int ku_ce_time_valid(const char *s);

/* Whether name may name an attribute: lower-case letters and digits. */
int ku_ce_name_valid(const char *name);

#endif
