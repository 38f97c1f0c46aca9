/* SPDX-License-Identifier: Apache-2.0 */
/* json_args.h: the json-c and base64 helpers the parsers share. No httpd. */
#ifndef KU_JSON_ARGS_H
#define KU_JSON_ARGS_H

#include <apr_pools.h>
#include <json-c/json.h>

json_object *ku_json_string_len(const char *s, apr_size_t len);

/* Adds value under key; a repeated key turns the entry into an array that
 * keeps the values in arrival order. Takes ownership of value. */
void ku_args_add(json_object *args, const char *key, json_object *value);

/* data in base64 (RFC 4648, padded), NUL-terminated; its length in *out_len. */
char *ku_base64(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len);

/* The same, as a JSON string. */
json_object *ku_base64_json(apr_pool_t *p, const char *data, apr_size_t len);

#endif
