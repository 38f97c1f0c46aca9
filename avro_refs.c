/* SPDX-License-Identifier: Apache-2.0 */
/* avro_refs.c: referenced Avro named types inlined at their first use (see
 * the header). A walk of the schema's JSON that keeps the namespace in
 * force, as the Avro specification resolves names. */
#include <string.h>

#include <json-c/json.h>
#include "apr_strings.h"

#include "avro_refs.h"

typedef struct {
    apr_pool_t *p;
    const ku_sr_ref_t *refs;
    int nrefs;
    json_object **parsed;     /* each reference's JSON, NULL once inlined */
} inline_ctx_t;

static void walk(inline_ctx_t *ctx, json_object *j, const char *ns);

static const char *full_name(apr_pool_t *p, const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns)
        return name;
    return apr_pstrcat(p, ns, ".", name, NULL);
}

/* A type given by name: the reference's schema the first time, walked in
 * turn (it may use other references); the name itself afterwards. */
static json_object *resolve(inline_ctx_t *ctx, json_object *j, const char *ns)
{
    const char *name;
    int i;

    if (!json_object_is_type(j, json_type_string)) {
        walk(ctx, j, ns);
        return NULL;
    }
    name = full_name(ctx->p, json_object_get_string(j), ns);
    for (i = 0; i < ctx->nrefs; i++)
        if (ctx->parsed[i] && !strcmp(ctx->refs[i].name, name)) {
            json_object *def = ctx->parsed[i];

            ctx->parsed[i] = NULL;
            walk(ctx, def, ns);
            return def;
        }
    return NULL;
}

static void resolve_member(inline_ctx_t *ctx, json_object *o, const char *key, const char *ns)
{
    json_object *v, *def;
    size_t i;

    if (!json_object_object_get_ex(o, key, &v))
        return;
    if (!json_object_is_type(v, json_type_array)) {
        if ((def = resolve(ctx, v, ns)))
            json_object_object_add(o, key, def);
        return;
    }
    for (i = 0; i < json_object_array_length(v); i++)   /* a union */
        if ((def = resolve(ctx, json_object_array_get_idx(v, i), ns)))
            json_object_array_put_idx(v, i, def);
}

/* The namespace a named type sets for what it contains. */
static const char *inner_namespace(apr_pool_t *p, json_object *o, const char *ns)
{
    json_object *name, *space;
    const char *n, *dot;

    if (!json_object_object_get_ex(o, "name", &name) || !json_object_is_type(name, json_type_string))
        return ns;
    n = json_object_get_string(name);
    if ((dot = strrchr(n, '.')))
        return apr_pstrmemdup(p, n, (apr_size_t)(dot - n));
    if (json_object_object_get_ex(o, "namespace", &space)
        && json_object_is_type(space, json_type_string))
        return json_object_get_string(space);
    return ns;
}

static void walk(inline_ctx_t *ctx, json_object *j, const char *ns)
{
    json_object *fields;
    size_t i;

    if (json_object_is_type(j, json_type_array)) {
        json_object *def;

        for (i = 0; i < json_object_array_length(j); i++)
            if ((def = resolve(ctx, json_object_array_get_idx(j, i), ns)))
                json_object_array_put_idx(j, i, def);
        return;
    }
    if (!json_object_is_type(j, json_type_object))
        return;
    ns = inner_namespace(ctx->p, j, ns);
    if (json_object_object_get_ex(j, "fields", &fields)
        && json_object_is_type(fields, json_type_array))
        for (i = 0; i < json_object_array_length(fields); i++)
            resolve_member(ctx, json_object_array_get_idx(fields, i), "type", ns);
    else
        resolve_member(ctx, j, "type", ns);
    resolve_member(ctx, j, "items", ns);
    resolve_member(ctx, j, "values", ns);
}

static apr_status_t put_json(void *j)
{
    json_object_put(j);
    return APR_SUCCESS;
}

static json_object *parse_owned(apr_pool_t *p, const char *text)
{
    json_object *j = json_tokener_parse(text);

    if (j)
        apr_pool_cleanup_register(p, j, put_json, apr_pool_cleanup_null);
    return j;
}

const char *ku_avro_inline_refs(apr_pool_t *p, const char *schema, const ku_sr_ref_t *refs,
                                int nrefs, const char **error)
{
    inline_ctx_t ctx = { p, refs, nrefs, apr_pcalloc(p, sizeof(json_object *) * nrefs) };
    json_object *root, *def;
    int i;

    for (i = 0; i < nrefs; i++)
        if (!(ctx.parsed[i] = parse_owned(p, refs[i].schema))) {
            *error = apr_psprintf(p, "reference %s: its schema is no JSON", refs[i].name);
            return NULL;
        }
    /* The root keeps the inlined definitions alive (json_object_get); the
     * pool's cleanups drop the parsed texts. */
    for (i = 0; i < nrefs; i++)
        json_object_get(ctx.parsed[i]);
    if (!(root = parse_owned(p, schema))) {
        *error = "the schema is no JSON";
        return NULL;
    }
    if ((def = resolve(&ctx, root, NULL)))   /* the schema is itself a bare name */
        root = def;
    schema = apr_pstrdup(p, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    for (i = 0; i < nrefs; i++)
        if (ctx.parsed[i])
            json_object_put(ctx.parsed[i]);   /* never used */
    return schema;
}
