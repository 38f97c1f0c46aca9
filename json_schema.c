/* SPDX-License-Identifier: Apache-2.0 */
/* json_schema.c: JSON Schema draft-07, the core keywords (json_schema.h).
 *
 * Compiling walks every subschema once: it refuses what is not supported,
 * checks the keywords' values, resolves each $ref and compiles each
 * pattern; json_schema_validate.c then interprets the json-c tree.
 *
 * Regular expressions: PCRE2 with UTF and DOLLAR_ENDONLY (so that $ means
 * the end, as in ECMA-262), unanchored as the draft wants, and a match
 * limit so that a pathological pattern costs bounded time. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_schema_int.h"

typedef struct seen {
    struct seen *next;
    json_object *node;
} seen_t;

/* --- json helpers ------------------------------------------------------------ */

int ku_js_is_number(json_object *j)
{
    return json_object_is_type(j, json_type_int) || json_object_is_type(j, json_type_double);
}

int ku_js_is_integer(json_object *j)
{
    double d;

    if (json_object_is_type(j, json_type_int))
        return 1;
    if (!json_object_is_type(j, json_type_double))
        return 0;
    d = json_object_get_double(j);
    return isfinite(d) && d == floor(d);
}

static int is_count(json_object *j)
{
    return ku_js_is_integer(j) && json_object_get_double(j) >= 0;
}

int ku_js_json_equal(json_object *a, json_object *b)
{
    json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

    if (ku_js_is_number(a) && ku_js_is_number(b)) {
        if (ta == json_type_int && tb == json_type_int)
            return json_object_get_int64(a) == json_object_get_int64(b);
        return json_object_get_double(a) == json_object_get_double(b);
    }
    if (ta != tb)
        return 0;
    switch (ta) {
    case json_type_null:
        return 1;
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string:
        return json_object_get_string_len(a) == json_object_get_string_len(b)
               && !memcmp(json_object_get_string(a), json_object_get_string(b),
                          (size_t)json_object_get_string_len(a));
    case json_type_array: {
        size_t i, n = json_object_array_length(a);

        if (n != json_object_array_length(b))
            return 0;
        for (i = 0; i < n; i++)
            if (!ku_js_json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return 0;
        return 1;
    }
    case json_type_object: {
        json_object *other;

        if (json_object_object_length(a) != json_object_object_length(b))
            return 0;
        json_object_object_foreach(a, k, v) {
            if (!json_object_object_get_ex(b, k, &other) || !ku_js_json_equal(v, other))
                return 0;
        }
        return 1;
    }
    default:
        return 0;
    }
}

/* Unicode code points in a UTF-8 string. */
size_t ku_js_code_points(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* The node a "#..." reference names in root, or NULL. */
json_object *ku_js_resolve_ref(json_object *root, const char *ref)
{
    json_object *node = root;
    const char *p;

    if (ref[0] != '#')
        return NULL;
    p = ref + 1;
    if (!*p)
        return root;
    if (*p != '/')
        return NULL;
    while (*p == '/') {
        char token[256];
        size_t n = 0;

        for (p++; *p && *p != '/' && n < sizeof(token) - 1; p++) {
            if (p[0] == '~' && (p[1] == '0' || p[1] == '1'))
                token[n++] = p[1] == '0' ? '~' : '/', p++;
            else if (p[0] == '%' && p[1] && p[2]) {
                char hex[3] = { p[1], p[2], 0 };
                token[n++] = (char)strtol(hex, NULL, 16), p += 2;
            }
            else
                token[n++] = *p;
        }
        token[n] = '\0';
        if (json_object_is_type(node, json_type_object)) {
            if (!json_object_object_get_ex(node, token, &node))
                return NULL;
        }
        else if (json_object_is_type(node, json_type_array)) {
            char *end;
            long i = strtol(token, &end, 10);

            if (!*token || *end || i < 0 || (size_t)i >= json_object_array_length(node))
                return NULL;
            node = json_object_array_get_idx(node, (size_t)i);
        }
        else
            return NULL;
    }
    return *p ? NULL : node;
}

/* --- compiling ----------------------------------------------------------------- */

typedef struct {
    ku_js_schema_t *s;
    seen_t *seen;
    char *err;
    size_t errlen;
} compile_t;

static int refuse(compile_t *c, const char *where, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->err, c->errlen, "%s: ", where);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return 0;
}

static int add_regex(compile_t *c, const char *where, const char *source)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)source, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &code, &offset, NULL);
    ku_js_regex_t *r;

    if (!re) {
        PCRE2_UCHAR msg[120];

        pcre2_get_error_message(code, msg, sizeof(msg));
        return refuse(c, where, "pattern '%s' is refused by PCRE2: %s", source, (char *)msg);
    }
    r = calloc(1, sizeof(*r));
    r->source = source;
    r->code = re;
    r->next = c->s->regexes;
    c->s->regexes = r;
    return 1;
}

static int check(compile_t *c, json_object *node, const char *where, int at_root);

static int check_child(compile_t *c, json_object *node, const char *where, const char *key)
{
    char sub[512];

    snprintf(sub, sizeof(sub), "%s/%s", where, key);
    return check(c, node, sub, 0);
}

static int check_array_of_schemas(compile_t *c, json_object *v, const char *where,
                                  const char *key, int may_be_empty)
{
    size_t i, n;
    char sub[512];

    if (!json_object_is_type(v, json_type_array)
        || (!may_be_empty && json_object_array_length(v) == 0))
        return refuse(c, where, "%s must be a%s array of schemas", key,
                      may_be_empty ? "n" : " non-empty");
    n = json_object_array_length(v);
    for (i = 0; i < n; i++) {
        snprintf(sub, sizeof(sub), "%s/%s/%zu", where, key, i);
        if (!check(c, json_object_array_get_idx(v, i), sub, 0))
            return 0;
    }
    return 1;
}

static int check_map_of_schemas(compile_t *c, json_object *v, const char *where,
                                const char *key, int keys_are_patterns)
{
    char sub[512];

    if (!json_object_is_type(v, json_type_object))
        return refuse(c, where, "%s must be an object", key);
    json_object_object_foreach(v, name, child) {
        snprintf(sub, sizeof(sub), "%s/%s/%s", where, key, name);
        if (keys_are_patterns && !add_regex(c, sub, name))
            return 0;
        if (!check(c, child, sub, 0))
            return 0;
    }
    return 1;
}

static int check_strings(compile_t *c, json_object *v, const char *where, const char *key)
{
    size_t i, n;

    if (!json_object_is_type(v, json_type_array))
        return refuse(c, where, "%s must be an array of strings", key);
    n = json_object_array_length(v);
    for (i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
            return refuse(c, where, "%s must be an array of strings", key);
    return 1;
}

static int check_type(compile_t *c, json_object *v, const char *where)
{
    static const char *const names[] = { "null", "boolean", "object", "array", "number",
                                         "integer", "string" };
    size_t i, k, n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;

    for (i = 0; i < n; i++) {
        json_object *t = json_object_is_type(v, json_type_array)
                             ? json_object_array_get_idx(v, i) : v;
        int known = 0;

        for (k = 0; k < sizeof(names) / sizeof(*names); k++)
            known |= json_object_is_type(t, json_type_string)
                     && !strcmp(json_object_get_string(t), names[k]);
        if (!known)
            return refuse(c, where, "type %s is not a JSON Schema type",
                          json_object_to_json_string(t));
    }
    return 1;
}

/* One keyword of a schema object. */
static int check_keyword(compile_t *c, const char *key, json_object *v, const char *where,
                         int at_root)
{
    static const char *const annotations[] = { "title", "description", "default", "examples",
                                               "$comment", "$schema", "readOnly", "writeOnly" };
    static const char *const refused[] = { "format", "contentMediaType", "contentEncoding" };
    static const char *const single[] = { "additionalItems", "additionalProperties", "contains",
                                          "propertyNames", "not", "if", "then", "else" };
    static const char *const numbers[] = { "maximum", "exclusiveMaximum", "minimum",
                                           "exclusiveMinimum" };
    static const char *const counts[] = { "maxLength", "minLength", "maxItems", "minItems",
                                          "maxProperties", "minProperties" };
    size_t i;

#define IN(list) for (i = 0; i < sizeof(list) / sizeof(*list); i++) if (!strcmp(key, list[i]))
    IN(annotations) return 1;
    IN(refused) return refuse(c, where, "keyword '%s' is not supported", key);
    IN(single) return check_child(c, v, where, key);
    IN(numbers) return ku_js_is_number(v) ? 1 : refuse(c, where, "%s must be a number", key);
    IN(counts) return is_count(v) ? 1 : refuse(c, where, "%s must be a non-negative integer",
                                               key);
#undef IN
    if (!strcmp(key, "$id"))
        return at_root ? 1 : refuse(c, where, "keyword '$id' is not supported below the root");
    if (!strcmp(key, "$ref")) {
        json_object *target;

        if (!json_object_is_type(v, json_type_string))
            return refuse(c, where, "$ref must be a string");
        target = ku_js_resolve_ref(c->s->root, json_object_get_string(v));
        if (!target)
            return refuse(c, where, "keyword '$ref' to '%s' is not supported (only references "
                          "within the document, \"#/...\", that resolve)",
                          json_object_get_string(v));
        return check(c, target, json_object_get_string(v), target == c->s->root);
    }
    if (!strcmp(key, "type"))
        return check_type(c, v, where);
    if (!strcmp(key, "enum"))
        return json_object_is_type(v, json_type_array) ? 1
                   : refuse(c, where, "enum must be an array");
    if (!strcmp(key, "const"))
        return 1;
    if (!strcmp(key, "multipleOf"))
        return ku_js_is_number(v) && json_object_get_double(v) > 0
                   ? 1 : refuse(c, where, "multipleOf must be a number above 0");
    if (!strcmp(key, "uniqueItems"))
        return json_object_is_type(v, json_type_boolean)
                   ? 1 : refuse(c, where, "uniqueItems must be a boolean");
    if (!strcmp(key, "pattern"))
        return json_object_is_type(v, json_type_string)
                   ? add_regex(c, where, json_object_get_string(v))
                   : refuse(c, where, "pattern must be a string");
    if (!strcmp(key, "required"))
        return check_strings(c, v, where, key);
    if (!strcmp(key, "items"))
        return json_object_is_type(v, json_type_array)
                   ? check_array_of_schemas(c, v, where, key, 1) : check_child(c, v, where, key);
    if (!strcmp(key, "allOf") || !strcmp(key, "anyOf") || !strcmp(key, "oneOf"))
        return check_array_of_schemas(c, v, where, key, 0);
    if (!strcmp(key, "properties") || !strcmp(key, "definitions"))
        return check_map_of_schemas(c, v, where, key, 0);
    if (!strcmp(key, "patternProperties"))
        return check_map_of_schemas(c, v, where, key, 1);
    if (!strcmp(key, "dependencies")) {
        if (!json_object_is_type(v, json_type_object))
            return refuse(c, where, "dependencies must be an object");
        json_object_object_foreach(v, name, dep) {
            if (json_object_is_type(dep, json_type_array) ? !check_strings(c, dep, where, key)
                                                          : !check_child(c, dep, where, name))
                return 0;
        }
        return 1;
    }
    return 1;   /* not a draft-07 keyword: ignored, as the draft says */
}

static int check(compile_t *c, json_object *node, const char *where, int at_root)
{
    seen_t *seen;

    if (json_object_is_type(node, json_type_boolean))
        return 1;
    if (!json_object_is_type(node, json_type_object))
        return refuse(c, where, "a schema must be an object or a boolean");
    for (seen = c->seen; seen; seen = seen->next)
        if (seen->node == node)
            return 1;
    seen = calloc(1, sizeof(*seen));
    seen->node = node;
    seen->next = c->seen;
    c->seen = seen;
    json_object_object_foreach(node, key, v) {
        if (!check_keyword(c, key, v, where, at_root))
            return 0;
    }
    return 1;
}

ku_js_schema_t *ku_js_compile_json(json_object *schema, char *err, size_t errlen)
{
    compile_t c = { calloc(1, sizeof(ku_js_schema_t)), NULL, err, errlen };
    int ok;

    c.s->root = json_object_get(schema);
    c.s->limits = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(c.s->limits, KU_JS_MATCH_LIMIT);
    ok = check(&c, schema, "#", 1);
    while (c.seen) {
        seen_t *next = c.seen->next;

        free(c.seen);
        c.seen = next;
    }
    if (!ok) {
        ku_js_free(c.s);
        return NULL;
    }
    return c.s;
}

ku_js_schema_t *ku_js_compile(const char *text, char *err, size_t errlen)
{
    json_object *doc = json_tokener_parse(text);
    ku_js_schema_t *s;

    if (!doc && strcmp(text, "null")) {
        snprintf(err, errlen, "the schema is not JSON");
        return NULL;
    }
    s = ku_js_compile_json(doc, err, errlen);
    json_object_put(doc);
    return s;
}

void ku_js_free(ku_js_schema_t *s)
{
    if (!s)
        return;
    while (s->regexes) {
        ku_js_regex_t *next = s->regexes->next;

        pcre2_code_free(s->regexes->code);
        free(s->regexes);
        s->regexes = next;
    }
    pcre2_match_context_free(s->limits);
    json_object_put(s->root);
    free(s);
}
