/* SPDX-License-Identifier: Apache-2.0 */
/* json_schema_validate.c: validating a document against a compiled
 * draft-07 schema (json_schema.c compiles). Stops at the first failure and
 * names its path; inside anyOf, oneOf, not, contains and if it runs quietly
 * (a failed branch is no error of the document). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_schema_int.h"

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
    const ku_js_regex_t *re;
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
        return ku_js_is_integer(doc);
    if (!strcmp(t, "number"))
        return ku_js_is_number(doc);
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

    if (!strcmp(key, "maxLength") && ku_js_code_points(s, len) > (size_t)json_object_get_int64(v))
        return fail(r, "must be at most %lld characters long", (long long)json_object_get_int64(v));
    if (!strcmp(key, "minLength") && ku_js_code_points(s, len) < (size_t)json_object_get_int64(v))
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
                if (ku_js_json_equal(json_object_array_get_idx(doc, i), json_object_array_get_idx(doc, j)))
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
        ok = valid(r, doc, ku_js_resolve_ref(r->s->root, json_object_get_string(ref)));
        r->depth--;
        return ok;
    }
    json_object_object_foreach(schema, key, v) {
        if (!strcmp(key, "type"))
            ok = valid_type(r, doc, v);
        else if (!strcmp(key, "enum")) {
            size_t i, n = json_object_array_length(v);

            for (i = 0; i < n && !ku_js_json_equal(doc, json_object_array_get_idx(v, i)); i++)
                ;
            ok = i < n ? 1 : fail(r, "must be one of %s", json_object_to_json_string(v));
        }
        else if (!strcmp(key, "const"))
            ok = ku_js_json_equal(doc, v) ? 1 : fail(r, "must be %s", json_object_to_json_string(v));
        else if (ku_js_is_number(doc))
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
