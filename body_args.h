/* SPDX-License-Identifier: Apache-2.0 */
/* body_args.h: the request body parsed for the envelope's body_args (JSON,
 * urlencoded form, multipart/form-data), and the json-c helpers the
 * parsers share. Plain C on APR pools and json-c, no httpd. */
#ifndef KU_BODY_ARGS_H
#define KU_BODY_ARGS_H

#include <apr_pools.h>
#include <json-c/json.h>

#include "encoder.h"

typedef enum { KU_BODY_JSON, KU_BODY_FORM, KU_BODY_MULTIPART, KU_BODY_TEXT, KU_BODY_OTHER } ku_body_kind_t;

/* What the Content-Type says the body is (NULL: KU_BODY_OTHER). */
ku_body_kind_t ku_body_kind(apr_pool_t *p, const char *content_type);

/* body_args for the parseable kinds, {} for the rest; NULL or an error
 * detail. *args is NULL for the JSON body null. */
const char *ku_parse_body_args(apr_pool_t *p, const ku_request_t *req,
                               ku_body_kind_t kind, json_object **args);

/* An urlencoded form (strict: a body; lenient: a query string) as an
 * object; repeated names become arrays. */
const char *ku_parse_form(apr_pool_t *p, const char *s, apr_size_t len,
                          int strict, json_object **args_out);

/* Parses a whole body as one JSON value, strictly (UTF-8, no trailing
 * bytes, nesting bounded); JSON null yields NULL. Returns NULL, or a short
 * safe reason. The value is the caller's to json_object_put. */
const char *ku_parse_json_body(apr_pool_t *p, const char *body, apr_size_t len,
                               json_object **out);

/* --- helpers the parsers share -------------------------------------------- */

json_object *ku_json_string_len(const char *s, apr_size_t len);

/* Adds value under key; a repeated key turns the entry into an array that
 * keeps the values in arrival order. Takes ownership of value. */
void ku_args_add(json_object *args, const char *key, json_object *value);

/* data in base64 (RFC 4648, padded), NUL-terminated; its length in *out_len. */
char *ku_base64(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len);

/* The same, as a JSON string. */
json_object *ku_base64_json(apr_pool_t *p, const char *data, apr_size_t len);

#endif
