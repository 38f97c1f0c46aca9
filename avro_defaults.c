/* SPDX-License-Identifier: Apache-2.0 */
/* avro_defaults.c: the field defaults of an Avro schema (see the header).
 * The schema text is parsed once more with json-c and walked beside Avro
 * C's parsed schema: each record definition met is listed with its
 * "fields" array, so a record value being filled finds its fields'
 * defaults by its schema. References to named types (Avro C links) are
 * not followed: the definition is listed where it stands. */
#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"

#include "avro_defaults.h"

/* Deeper schemas are refused (jansson, which Avro C parses with, takes
 * 2048 levels; json-c's default is 32). */
#define KU_AVRO_SCHEMA_DEPTH 2048

typedef struct {
    avro_schema_t record;
    json_object *fields;      /* the record's "fields", in Avro C's order */
} record_t;

struct ku_avro_defaults {
    json_object *doc;
    record_t *records;
    size_t n, cap;
};

static int add_record(ku_avro_defaults_t *d, avro_schema_t record, json_object *fields)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        record_t *grown = realloc(d->records, cap * sizeof(*grown));

        if (!grown)
            return -1;
        d->records = grown;
        d->cap = cap;
    }
    d->records[d->n].record = record;
    d->records[d->n].fields = fields;
    d->n++;
    return 0;
}

static const char *walk(ku_avro_defaults_t *d, json_object *js, avro_schema_t as,
                        apr_pool_t *p);

static const char *walk_record(ku_avro_defaults_t *d, json_object *js, avro_schema_t as,
                               apr_pool_t *p)
{
    json_object *fields, *field, *name, *type;
    const char *error;
    size_t i, n;

    if (!json_object_object_get_ex(js, "fields", &fields)
        || !json_object_is_type(fields, json_type_array)
        || (n = json_object_array_length(fields)) != avro_schema_record_size(as))
        return apr_psprintf(p, "record %s: its fields cannot be read", avro_schema_name(as));
    for (i = 0; i < n; i++) {
        field = json_object_array_get_idx(fields, i);
        if (!json_object_object_get_ex(field, "name", &name)
            || strcmp(json_object_get_string(name), avro_schema_record_field_name(as, (int)i))
            || !json_object_object_get_ex(field, "type", &type))
            return apr_psprintf(p, "record %s: field %lu cannot be read", avro_schema_name(as),
                                (unsigned long)i);
        if ((error = walk(d, type, avro_schema_record_field_get_by_index(as, (int)i), p)))
            return error;
    }
    return add_record(d, as, fields) ? "out of memory" : NULL;
}

static const char *walk(ku_avro_defaults_t *d, json_object *js, avro_schema_t as,
                        apr_pool_t *p)
{
    json_object *type, *inner;
    size_t i, n;

    if (!as || is_avro_link(as) || json_object_is_type(js, json_type_string))
        return NULL;          /* a primitive, or a name defined elsewhere */
    if (json_object_is_type(js, json_type_array)) {
        n = json_object_array_length(js);
        if (!is_avro_union(as) || avro_schema_union_size(as) != n)
            return "a union cannot be read";
        for (i = 0; i < n; i++) {
            const char *error = walk(d, json_object_array_get_idx(js, i),
                                     avro_schema_union_branch(as, (int)i), p);
            if (error)
                return error;
        }
        return NULL;
    }
    if (!json_object_is_type(js, json_type_object) || !json_object_object_get_ex(js, "type", &type))
        return "a type cannot be read";
    if (!json_object_is_type(type, json_type_string))
        return walk(d, type, as, p); /* {"type": {...}} or {"type": [...]} */
    if (is_avro_record(as))
        return walk_record(d, js, as, p);
    if (is_avro_array(as))
        return json_object_object_get_ex(js, "items", &inner)
                   ? walk(d, inner, avro_schema_array_items(as), p) : "an array cannot be read";
    if (is_avro_map(as))
        return json_object_object_get_ex(js, "values", &inner)
                   ? walk(d, inner, avro_schema_map_values(as), p) : "a map cannot be read";
    return NULL;
}

ku_avro_defaults_t *ku_avro_defaults_read(const char *json, avro_schema_t schema,
                                          const char **error, apr_pool_t *p)
{
    ku_avro_defaults_t *d = calloc(1, sizeof(*d));
    json_tokener *tok = json_tokener_new_ex(KU_AVRO_SCHEMA_DEPTH);
    const char *why;

    if (!d || !tok) {
        *error = "out of memory";
        free(d);
        if (tok)
            json_tokener_free(tok);
        return NULL;
    }
    d->doc = json_tokener_parse_ex(tok, json, (int)strlen(json) + 1);
    why = json_tokener_get_error(tok) != json_tokener_success
              ? json_tokener_error_desc(json_tokener_get_error(tok))
              : walk(d, d->doc, schema, p);
    json_tokener_free(tok);
    if (why) {
        *error = apr_psprintf(p, "the field defaults cannot be read: %s", why);
        ku_avro_defaults_free(d);
        return NULL;
    }
    return d;
}

void ku_avro_defaults_free(ku_avro_defaults_t *d)
{
    if (d) {
        json_object_put(d->doc);
        free(d->records);
        free(d);
    }
}

int ku_avro_default_of(const ku_avro_defaults_t *d, avro_schema_t record, size_t index,
                       json_object **value)
{
    size_t i;

    while (is_avro_link(record))
        record = avro_schema_link_target(record);
    for (i = 0; d && i < d->n; i++)
        if (d->records[i].record == record)
            return json_object_object_get_ex(
                json_object_array_get_idx(d->records[i].fields, index), "default", value);
    return 0;
}

int ku_avro_defaults_each(const ku_avro_defaults_t *d, ku_avro_default_visitor visit,
                          void *arg)
{
    json_object *value;
    size_t i, f, n;
    int rc;

    for (i = 0; d && i < d->n; i++) {
        n = json_object_array_length(d->records[i].fields);
        for (f = 0; f < n; f++)
            if (json_object_object_get_ex(json_object_array_get_idx(d->records[i].fields, f),
                                          "default", &value)
                && (rc = visit(arg, d->records[i].record, f, value)))
                return rc;
    }
    return 0;
}
