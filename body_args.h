/* SPDX-License-Identifier: Apache-2.0 */
/* body_args.h: the request body parsed for the envelope's body_args (JSON,
 * urlencoded form, multipart/form-data). Plain C on APR pools and json-c,
 * no httpd. */
#ifndef KU_BODY_ARGS_H
#define KU_BODY_ARGS_H

#include <apr_pools.h>
#include <json-c/json.h>

typedef enum { KU_BODY_JSON, KU_BODY_FORM, KU_BODY_MULTIPART, KU_BODY_TEXT, KU_BODY_OTHER } ku_body_kind_t;

/* What the Content-Type says the body is (NULL: KU_BODY_OTHER). */
ku_body_kind_t ku_body_kind(apr_pool_t *p, const char *content_type);

/* body_args for the parseable kinds, {} for the rest; NULL or an error
 * detail. *args is NULL for the JSON body null. */
const char *ku_parse_body_args(apr_pool_t *p, const char *content_type, const char *body,
                               apr_size_t len, ku_body_kind_t kind, json_object **args);

/* An urlencoded form (strict: a body; lenient: a query string) as an
 * object; repeated names become arrays. */
const char *ku_parse_form(apr_pool_t *p, const char *s, apr_size_t len,
                          int strict, json_object **args_out);

/* Parses a whole body as one JSON value, strictly (UTF-8, no trailing
 * bytes, nesting bounded); JSON null yields NULL. Returns NULL, or a short
 * safe reason. The value is the caller's to json_object_put. */
const char *ku_parse_json_body(apr_pool_t *p, const char *body, apr_size_t len,
                               json_object **out);

#endif
