/* json_schema.c: JSON Schema draft-07, the core keywords (json_schema.h).
 *
 * Compiling walks every subschema once: it refuses what is not supported,
 * checks the keywords' values, resolves each $ref and compiles each
 * pattern. Validating then interprets the json-c tree; it stops at the
 * first failure and names its path. Inside anyOf, oneOf, not, contains and
 * if it runs quietly (a failed branch is no error of the document).
 *
 * Regular expressions: PCRE2 with UTF and DOLLAR_ENDONLY (so that $ means
 * the end, as in ECMA-262), unanchored as the draft wants, and a match
 * limit so that a pathological pattern costs bounded time. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "json_schema.h"

#define KU_JS_MAX_DEPTH 64          /* of $ref chains and nesting while validating */
#define KU_JS_MATCH_LIMIT 1000000   /* PCRE2 backtracking steps per match */

typedef struct regex {
    struct regex *next;
    const char *source;             /* the pattern string in the schema (its identity) */
    pcre2_code *code;
} regex_t_;

typedef struct seen {
    struct seen *next;
    json_object *node;
} seen_t;

struct ku_js_schema {
    json_object *root;
    regex_t_ *regexes;
    pcre2_match_context *limits;
};

/* --- json helpers ------------------------------------------------------------ */

static int is_number(json_object *j)
{
    return json_object_is_type(j, json_type_int) || json_object_is_type(j, json_type_double);
}

static int is_integer(json_object *j)
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
    return is_integer(j) && json_object_get_double(j) >= 0;
}

static int json_equal(json_object *a, json_object *b)
{
    json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

    if (is_number(a) && is_number(b)) {
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
            if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return 0;
        return 1;
    }
    case json_type_object: {
        json_object *other;

        if (json_object_object_length(a) != json_object_object_length(b))
            return 0;
        json_object_object_foreach(a, k, v) {
            if (!json_object_object_get_ex(b, k, &other) || !json_equal(v, other))
                return 0;
        }
        return 1;
    }
    default:
        return 0;
    }
}

/* Unicode code points in a UTF-8 string. */
static size_t code_points(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* The node a "#..." reference names in root, or NULL. */
static json_object *resolve_ref(json_object *root, const char *ref)
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
    regex_t_ *r;

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
    IN(numbers) return is_number(v) ? 1 : refuse(c, where, "%s must be a number", key);
    IN(counts) return is_count(v) ? 1 : refuse(c, where, "%s must be a non-negative integer",
                                               key);
#undef IN
    if (!strcmp(key, "$id"))
        return at_root ? 1 : refuse(c, where, "keyword '$id' is not supported below the root");
    if (!strcmp(key, "$ref")) {
        json_object *target;

        if (!json_object_is_type(v, json_type_string))
            return refuse(c, where, "$ref must be a string");
        target = resolve_ref(c->s->root, json_object_get_string(v));
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
        return is_number(v) && json_object_get_double(v) > 0
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
        regex_t_ *next = s->regexes->next;

        pcre2_code_free(s->regexes->code);
        free(s->regexes);
        s->regexes = next;
    }
    pcre2_match_context_free(s->limits);
    json_object_put(s->root);
    free(s);
}

/* --- validating ------------------------------------------------------------------- */

typedef struct {
    const ku_js_schema_t *s;
    char path[1024];
    size_t path_len;
    int quiet;                /* inside anyOf/oneOf/not/contains/if: no error text */
    int depth;
    char *err;
    size_t errlen;
} run_t;

static int fail(run_t *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (r->quiet || r->err[0])
        return 0;
    n = snprintf(r->err, r->errlen, "%s: ", r->path);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->errlen)
        vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return 0;
}

/* Appends .name (or ['name'] when it is no plain name) or [i] to the path;
 * returns the length to restore. */
static size_t push_name(run_t *r, const char *name)
{
    size_t old = r->path_len, i;
    int plain = *name != '\0';

    for (i = 0; name[i]; i++)
        plain &= (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z')
                 || (name[i] >= '0' && name[i] <= '9' && i) || name[i] == '_';
    snprintf(r->path + old, sizeof(r->path) - old, plain ? ".%s" : "['%s']", name);
    r->path_len = strlen(r->path);
    return old;
}

static size_t push_index(run_t *r, size_t i)
{
    size_t old = r->path_len;

    snprintf(r->path + old, sizeof(r->path) - old, "[%zu]", i);
    r->path_len = strlen(r->path);
    return old;
}

static void pop(run_t *r, size_t old)
{
    r->path_len = old;
    r->path[old] = '\0';
}

static int valid(run_t *r, json_object *doc, json_object *schema);

/* Valid without reporting: a branch of anyOf and the like. */
static int fits(run_t *r, json_object *doc, json_object *schema)
{
    int quiet = r->quiet, ok;

    r->quiet = 1;
    ok = valid(r, doc, schema);
    r->quiet = quiet;
    return ok;
}

static int valid_at_name(run_t *r, json_object *doc, json_object *schema, const char *name)
{
    size_t old = push_name(r, name);
    int ok = valid(r, doc, schema);

    pop(r, old);
    return ok;
}

static int valid_at_index(run_t *r, json_object *doc, json_object *schema, size_t i)
{
    size_t old = push_index(r, i);
    int ok = valid(r, doc, schema);

    pop(r, old);
    return ok;
}

static int matches(const run_t *r, const char *pattern, const char *text, size_t len)
{
    const regex_t_ *re;
    pcre2_match_data *md;
    int rc;

    for (re = r->s->regexes; re && re->source != pattern; re = re->next)
        ;
    if (!re)
        return 0;
    md = pcre2_match_data_create_from_pattern(re->code, NULL);
    rc = pcre2_match(re->code, (PCRE2_SPTR)text, len, 0, 0, md, r->s->limits);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static const char *type_name(json_object *j)
{
    switch (json_object_get_type(j)) {
    case json_type_null: return "null";
    case json_type_boolean: return "boolean";
    case json_type_int: case json_type_double: return "number";
    case json_type_string: return "string";
    case json_type_array: return "array";
    default: return "object";
    }
}

static int has_type(json_object *doc, const char *t)
{
    if (!strcmp(t, "integer"))
        return is_integer(doc);
    if (!strcmp(t, "number"))
        return is_number(doc);
    return !strcmp(t, type_name(doc));
}

static int valid_type(run_t *r, json_object *doc, json_object *v)
{
    size_t i, n;

    if (json_object_is_type(v, json_type_string))
        return has_type(doc, json_object_get_string(v))
                   ? 1 : fail(r, "must be of type %s, not %s", json_object_get_string(v),
                              type_name(doc));
    n = json_object_array_length(v);
    for (i = 0; i < n; i++)
        if (has_type(doc, json_object_get_string(json_object_array_get_idx(v, i))))
            return 1;
    return fail(r, "must be of type %s, not %s", json_object_to_json_string(v), type_name(doc));
}

static int valid_number(run_t *r, json_object *doc, const char *key, json_object *v)
{
    double x = json_object_get_double(doc), lim = json_object_get_double(v);

    if (!strcmp(key, "maximum") && !(x <= lim))
        return fail(r, "must be at most %g", lim);
    if (!strcmp(key, "exclusiveMaximum") && !(x < lim))
        return fail(r, "must be below %g", lim);
    if (!strcmp(key, "minimum") && !(x >= lim))
        return fail(r, "must be at least %g", lim);
    if (!strcmp(key, "exclusiveMinimum") && !(x > lim))
        return fail(r, "must be above %g", lim);
    if (!strcmp(key, "multipleOf")) {
        double q = x / lim;

        if (json_object_is_type(doc, json_type_int) && json_object_is_type(v, json_type_int))
            return json_object_get_int64(doc) % json_object_get_int64(v) == 0
                       ? 1 : fail(r, "must be a multiple of %g", lim);
        if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
            return fail(r, "must be a multiple of %g", lim);
    }
    return 1;
}

static int valid_string(run_t *r, json_object *doc, const char *key, json_object *v)
{
    const char *s = json_object_get_string(doc);
    size_t len = (size_t)json_object_get_string_len(doc);

    if (!strcmp(key, "maxLength") && code_points(s, len) > (size_t)json_object_get_int64(v))
        return fail(r, "must be at most %lld characters long", (long long)json_object_get_int64(v));
    if (!strcmp(key, "minLength") && code_points(s, len) < (size_t)json_object_get_int64(v))
        return fail(r, "must be at least %lld characters long", (long long)json_object_get_int64(v));
    if (!strcmp(key, "pattern") && !matches(r, json_object_get_string(v), s, len))
        return fail(r, "must match the pattern %s", json_object_get_string(v));
    return 1;
}

static int valid_items(run_t *r, json_object *doc, json_object *schema, json_object *items)
{
    size_t i, n = json_object_array_length(doc), first_extra = 0;
    json_object *extra = NULL;

    if (json_object_is_type(items, json_type_array)) {
        size_t k = json_object_array_length(items);

        for (i = 0; i < n && i < k; i++)
            if (!valid_at_index(r, json_object_array_get_idx(doc, i),
                                json_object_array_get_idx(items, i), i))
                return 0;
        json_object_object_get_ex(schema, "additionalItems", &extra);
        first_extra = k;
    }
    else
        extra = items;
    for (i = first_extra; extra && i < n; i++)
        if (!valid_at_index(r, json_object_array_get_idx(doc, i), extra, i))
            return 0;
    return 1;
}

static int valid_array(run_t *r, json_object *doc, json_object *schema, const char *key,
                       json_object *v)
{
    size_t i, j, n = json_object_array_length(doc);

    if (!strcmp(key, "items"))
        return valid_items(r, doc, schema, v);
    if (!strcmp(key, "maxItems") && n > (size_t)json_object_get_int64(v))
        return fail(r, "must have at most %lld items", (long long)json_object_get_int64(v));
    if (!strcmp(key, "minItems") && n < (size_t)json_object_get_int64(v))
        return fail(r, "must have at least %lld items", (long long)json_object_get_int64(v));
    if (!strcmp(key, "uniqueItems") && json_object_get_boolean(v))
        for (i = 0; i < n; i++)
            for (j = i + 1; j < n; j++)
                if (json_equal(json_object_array_get_idx(doc, i), json_object_array_get_idx(doc, j)))
                    return fail(r, "items %zu and %zu are equal", i, j);
    if (!strcmp(key, "contains")) {
        for (i = 0; i < n; i++)
            if (fits(r, json_object_array_get_idx(doc, i), v))
                return 1;
        return fail(r, "must contain an item that matches 'contains'");
    }
    return 1;
}

/* Whether name is covered by properties or patternProperties. */
static int declared(const run_t *r, json_object *schema, const char *name)
{
    json_object *props;

    if (json_object_object_get_ex(schema, "properties", &props)
        && json_object_object_get_ex(props, name, NULL))
        return 1;
    if (json_object_object_get_ex(schema, "patternProperties", &props)) {
        json_object_object_foreach(props, pattern, unused) {
            (void)unused;
            if (matches(r, pattern, name, strlen(name)))
                return 1;
        }
    }
    return 0;
}

static int valid_dependencies(run_t *r, json_object *doc, json_object *v)
{
    json_object_object_foreach(v, name, dep) {
        size_t i;

        if (!json_object_object_get_ex(doc, name, NULL))
            continue;
        if (!json_object_is_type(dep, json_type_array)) {
            if (!valid(r, doc, dep))
                return 0;
            continue;
        }
        for (i = 0; i < json_object_array_length(dep); i++) {
            const char *need = json_object_get_string(json_object_array_get_idx(dep, i));

            if (!json_object_object_get_ex(doc, need, NULL))
                return fail(r, "'%s' is required when '%s' is present", need, name);
        }
    }
    return 1;
}

static int valid_object(run_t *r, json_object *doc, json_object *schema, const char *key,
                        json_object *v)
{
    size_t i, n = (size_t)json_object_object_length(doc);
    json_object *child;

    if (!strcmp(key, "maxProperties") && n > (size_t)json_object_get_int64(v))
        return fail(r, "must have at most %lld properties", (long long)json_object_get_int64(v));
    if (!strcmp(key, "minProperties") && n < (size_t)json_object_get_int64(v))
        return fail(r, "must have at least %lld properties", (long long)json_object_get_int64(v));
    if (!strcmp(key, "required"))
        for (i = 0; i < json_object_array_length(v); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(v, i));

            if (!json_object_object_get_ex(doc, name, NULL)) {
                size_t old = push_name(r, name);

                fail(r, "is required");
                pop(r, old);
                return 0;
            }
        }
    if (!strcmp(key, "properties")) {
        json_object_object_foreach(v, name, sub) {
            if (json_object_object_get_ex(doc, name, &child)
                && !valid_at_name(r, child, sub, name))
                return 0;
        }
    }
    if (!strcmp(key, "patternProperties")) {
        json_object_object_foreach(v, pattern, sub) {
            json_object_object_foreach(doc, name, value) {
                if (matches(r, pattern, name, strlen(name)) && !valid_at_name(r, value, sub, name))
                    return 0;
            }
        }
    }
    if (!strcmp(key, "additionalProperties")) {
        json_object_object_foreach(doc, name, value) {
            if (declared(r, schema, name))
                continue;
            if (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)) {
                size_t old = push_name(r, name);

                fail(r, "is not allowed (additionalProperties)");
                pop(r, old);
                return 0;
            }
            if (!valid_at_name(r, value, v, name))
                return 0;
        }
    }
    if (!strcmp(key, "dependencies"))
        return valid_dependencies(r, doc, v);
    if (!strcmp(key, "propertyNames")) {
        json_object_object_foreach(doc, name, unused) {
            json_object *as_string = json_object_new_string(name);
            int ok = valid_at_name(r, as_string, v, name);

            (void)unused;
            json_object_put(as_string);
            if (!ok)
                return 0;
        }
    }
    return 1;
}

/* allOf, anyOf, oneOf, not, if (with then and else), $ref. */
static int valid_combined(run_t *r, json_object *doc, json_object *schema, const char *key,
                          json_object *v)
{
    size_t i, n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    size_t hits = 0;
    json_object *branch;

    if (!strcmp(key, "allOf")) {
        for (i = 0; i < n; i++)
            if (!valid(r, doc, json_object_array_get_idx(v, i)))
                return 0;
    }
    else if (!strcmp(key, "anyOf")) {
        for (i = 0; i < n; i++)
            if (fits(r, doc, json_object_array_get_idx(v, i)))
                return 1;
        return fail(r, "matches none of the anyOf schemas");
    }
    else if (!strcmp(key, "oneOf")) {
        for (i = 0; i < n; i++)
            hits += (size_t)fits(r, doc, json_object_array_get_idx(v, i));
        if (hits != 1)
            return fail(r, "matches %zu of the oneOf schemas, not exactly one", hits);
    }
    else if (!strcmp(key, "not")) {
        if (fits(r, doc, v))
            return fail(r, "must not match the 'not' schema");
    }
    else if (!strcmp(key, "if")) {
        if (json_object_object_get_ex(schema, fits(r, doc, v) ? "then" : "else", &branch))
            return valid(r, doc, branch);
    }
    return 1;
}

static int valid(run_t *r, json_object *doc, json_object *schema)
{
    json_object *ref;
    int ok = 1;

    if (json_object_is_type(schema, json_type_boolean))
        return json_object_get_boolean(schema) ? 1 : fail(r, "no value is allowed here");
    if (++r->depth > KU_JS_MAX_DEPTH) {
        r->depth--;
        return fail(r, "the schema nests deeper than %d levels", KU_JS_MAX_DEPTH);
    }
    /* draft-07: beside $ref, the other keywords are ignored. */
    if (json_object_object_get_ex(schema, "$ref", &ref)) {
        ok = valid(r, doc, resolve_ref(r->s->root, json_object_get_string(ref)));
        r->depth--;
        return ok;
    }
    json_object_object_foreach(schema, key, v) {
        if (!strcmp(key, "type"))
            ok = valid_type(r, doc, v);
        else if (!strcmp(key, "enum")) {
            size_t i, n = json_object_array_length(v);

            for (i = 0; i < n && !json_equal(doc, json_object_array_get_idx(v, i)); i++)
                ;
            ok = i < n ? 1 : fail(r, "must be one of %s", json_object_to_json_string(v));
        }
        else if (!strcmp(key, "const"))
            ok = json_equal(doc, v) ? 1 : fail(r, "must be %s", json_object_to_json_string(v));
        else if (is_number(doc))
            ok = valid_number(r, doc, key, v);
        else if (json_object_is_type(doc, json_type_string))
            ok = valid_string(r, doc, key, v);
        else if (json_object_is_type(doc, json_type_array))
            ok = valid_array(r, doc, schema, key, v);
        else if (json_object_is_type(doc, json_type_object))
            ok = valid_object(r, doc, schema, key, v);
        if (ok)
            ok = valid_combined(r, doc, schema, key, v);
        if (!ok)
            break;
    }
    r->depth--;
    return ok;
}

int ku_js_validate(const ku_js_schema_t *s, json_object *doc, char *err, size_t errlen)
{
    run_t r = { .s = s, .path = "$", .path_len = 1, .err = err, .errlen = errlen };

    err[0] = '\0';
    if (valid(&r, doc, s->root))
        return 1;
    if (!err[0])
        snprintf(err, errlen, "$: does not match the schema");
    return 0;
}
