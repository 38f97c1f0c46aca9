/* SPDX-License-Identifier: Apache-2.0 */
/* json_schema_int.h: what json_schema.c (compiling, json helpers) and
 * json_schema_validate.c (validating) share. Private to the two. */
#ifndef KU_JSON_SCHEMA_INT_H
#define KU_JSON_SCHEMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <stddef.h>
#include <pcre2.h>

#include "json_schema.h"

#define KU_JS_MAX_DEPTH 64          /* of $ref chains and nesting while validating */
#define KU_JS_MATCH_LIMIT 1000000   /* PCRE2 backtracking steps per match */

typedef struct ku_js_regex {
    struct ku_js_regex *next;
    const char *source;             /* the pattern string in the schema (its identity) */
    pcre2_code *code;
} ku_js_regex_t;

struct ku_js_schema {
    json_object *root;
    ku_js_regex_t *regexes;
    pcre2_match_context *limits;
};

int ku_js_is_number(json_object *j);
int ku_js_is_integer(json_object *j);
/* Deep equality; numbers by value (1 equals 1.0). */
int ku_js_json_equal(json_object *a, json_object *b);
/* Unicode code points in a UTF-8 string. */
size_t ku_js_code_points(const char *s, size_t len);
/* The node a "#..." reference names in root, or NULL. */
json_object *ku_js_resolve_ref(json_object *root, const char *ref);

#endif
