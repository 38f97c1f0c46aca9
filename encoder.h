/* SPDX-License-Identifier: Apache-2.0 */
/*
 * encoder.h - turns a plain description of an HTTP request into the JSON
 * envelope published to Kafka (the Kong Kafka Upstream message contract).
 *
 * The encoder is httpd-free: it sees APR types and plain data only, never a
 * request_rec, so it can be unit-tested on its own.
 */
#ifndef KU_ENCODER_H
#define KU_ENCODER_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct {
    const char *method;          /* e.g. "POST" */
    const char *uri;             /* path plus "?query" when there is one, as received (r->unparsed_uri) */
    const char *query;           /* the part after '?', or NULL when there is no '?' */
    const apr_table_t *headers;  /* request headers as httpd hands them over (repeated ones merged with ", ") */
    const char *content_type;    /* Content-Type header value or NULL */
    const char *body;            /* body bytes (may contain NULs); may be NULL when body_len == 0 */
    apr_size_t body_len;
} ku_request_t;

/* An envelope field of the configuration's own (KafkaUpstreamField). */
typedef struct {
    const char *name;
    const char *value;           /* NULL or "": the field is left out */
} ku_enc_field_t;

typedef struct {
    int forward_method, forward_uri, forward_headers, forward_body; /* 0/1 */
    const apr_array_header_t *fields;  /* ku_enc_field_t, or NULL */
} ku_encode_opts_t;

typedef enum {
    KU_ENC_OK = 0,
    KU_ENC_BAD_BODY,    /* -> HTTP 400 */
    KU_ENC_TOO_MANY     /* more records than allowed -> HTTP 413 */
} ku_enc_status_t;

/* Encodes the envelope into a NUL-terminated JSON string allocated in p.
 * On KU_ENC_BAD_BODY, *error is a short, safe, human-readable detail
 * (e.g. "invalid JSON body", "multipart body without boundary") and *out is untouched. */
ku_enc_status_t ku_encode_envelope(apr_pool_t *p, const ku_request_t *req,
                                   const ku_encode_opts_t *opts,
                                   const char **out, apr_size_t *out_len,
                                   const char **error);

/* KafkaUpstreamSplit: one request body, several records. */
typedef enum { KU_SPLIT_NONE, KU_SPLIT_NDJSON, KU_SPLIT_JSON_ARRAY } ku_split_t;

typedef struct {
    const char *data;
    apr_size_t len;
} ku_slice_t;

/* Splits body into records (ku_slice_t, in p): each non-blank line
 * (ndjson), or each element of a top-level JSON array (json-array), as
 * the client wrote them. Every record must be valid JSON, and there must be one at
 * least; otherwise KU_ENC_BAD_BODY with *error saying where. */
ku_enc_status_t ku_split_body(apr_pool_t *p, const char *body, apr_size_t len,
                              ku_split_t mode, apr_array_header_t **records,
                              const char **error);

/* ku_split_body with at most max records (0: no limit): a body with more
 * gives KU_ENC_TOO_MANY as soon as record max + 1 is found, before the
 * lines after it are read; *records then holds max + 1. */
ku_enc_status_t ku_split_body_max(apr_pool_t *p, const char *body, apr_size_t len,
                                  ku_split_t mode, int max, apr_array_header_t **records,
                                  const char **error);

#endif /* KU_ENCODER_H */
