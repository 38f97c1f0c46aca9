/* SPDX-License-Identifier: Apache-2.0 */
/* json_args.c: the json-c and base64 helpers the body parsers
 * (body_args.c, multipart.c) and the dead-letter file share. No httpd. */
#include "json_args.h"

#include <apr_base64.h>

json_object *ku_json_string_len(const char *s, apr_size_t len)
{
    return json_object_new_string_len(s, (int)len);
}

/* Adds value under key; a repeated key turns the entry into an array that
 * keeps the values in arrival order.  Takes ownership of value. */
void ku_args_add(json_object *args, const char *key, json_object *value)
{
    json_object *prev, *arr;

    if (!json_object_object_get_ex(args, key, &prev)) {
        json_object_object_add(args, key, value);
        return;
    }
    if (json_object_is_type(prev, json_type_array)) {
        json_object_array_add(prev, value);
        return;
    }
    arr = json_object_new_array();
    json_object_array_add(arr, json_object_get(prev));
    json_object_array_add(arr, value);
    json_object_object_add(args, key, arr); /* drops the table's ref to prev */
}

char *ku_base64(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len)
{
    char *enc = apr_palloc(p, apr_base64_encode_len((int)len));
    int n = apr_base64_encode_binary(enc, (const unsigned char *)data, (int)len);

    *out_len = (apr_size_t)(n - 1); /* n counts the NUL */
    return enc;
}

json_object *ku_base64_json(apr_pool_t *p, const char *data, apr_size_t len)
{
    apr_size_t n;
    const char *enc = ku_base64(p, data, len, &n);

    return ku_json_string_len(enc, n);
}
