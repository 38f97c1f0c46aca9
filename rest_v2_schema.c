/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v2_schema.c: the v2 dialect's schemas (see rest_v2_schema.h). The
 * registry client and its cache are schema_registry.c's, the encoding
 * schema.c's: this file only says which schema a body names and turns the
 * outcomes into the peers' error codes. */
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"

#include "rest_common.h"
#include "rest_v2_schema.h"
#include "schema.h"

static const char *format_name(ku_v2_format_t format)
{
    return format == KU_V2_AVRO ? "avro" : format == KU_V2_PROTOBUF ? "protobuf" : "jsonschema";
}

/* The schema of one side (key or value): by id, or the inline one
 * registered under the TopicNameStrategy's subject (the v2 API names no
 * other strategy). */
static int side_schema(request_rec *r, const ku_sr_conf_t *rc, const char *topic,
                       ku_v2_format_t format, int is_key, int id, const char *inline_text,
                       const ku_sr_schema_t **schema, ku_v2_error_t *err)
{
    const char *type = ku_rest_registry_type(format_name(format));
    const char *why = NULL, *warning = NULL, *what;
    ku_sr_status_t st;

    if (id >= 0) {
        what = apr_psprintf(r->pool, "schema id %d", id);
        st = ku_sr_lookup_id(r->pool, rc, id, schema, &why, &warning);
    }
    else {
        const char *subject = apr_pstrcat(r->pool, topic, is_key ? "-key" : "-value", NULL);

        what = apr_psprintf(r->pool, "subject %s (an inline schema)", subject);
        st = ku_sr_register(r->pool, rc, subject, type, inline_text, schema, &why, &warning);
    }
    ku_schema_log_warning(r, st, what, warning);
    if (st != KU_SR_OK)
        return ku_rest_lookup_refusal(r->pool, st, why, 422, 42205, err);
    if (!ku_rest_schema_fits(r->pool, *schema, type, what,
                             apr_psprintf(r->pool, "the %s embedded format",
                                          format_name(format)), 422, 42205, err))
        return err->status;
    return 0;
}

/* Every record's key (is_key) or value, encoded in place. */
static int encode_side(apr_pool_t *p, const ku_sr_schema_t *schema, int is_key,
                       apr_array_header_t *records, ku_v2_error_t *err)
{
    int i;

    for (i = 0; i < records->nelts; i++) {
        ku_v2_record_t *rec = &APR_ARRAY_IDX(records, i, ku_v2_record_t);
        const char **data = is_key ? &rec->key : &rec->value;
        size_t *len = is_key ? &rec->key_len : &rec->value_len;
        const char *out, *why = NULL;
        apr_size_t n;

        if (!*data)
            continue;
        if (ku_schema_encode_with(p, schema, is_key, 0, KU_AVRO_JSON, *data, *len, &out, &n,
                                  &why) != OK)
            return ku_rest_refuse(err, 422, 42203, apr_psprintf(p, "Conversion of JSON to Object "
                                                        "failed: record %d: %s", i, why));
        *data = out;
        *len = n;
    }
    return 0;
}

int ku_v2_apply_schemas(request_rec *r, const ku_dir_conf_t *conf, const char *topic,
                        ku_v2_format_t format, const ku_v2_schemas_t *schemas,
                        apr_array_header_t *records, int *key_id, int *value_id,
                        ku_v2_error_t *err)
{
    ku_sr_conf_t rc = ku_schema_registry_conf(conf);
    const ku_sr_schema_t *key = NULL, *value = NULL;

    *key_id = *value_id = -1;
    if (!KU_V2_HAS_SCHEMA(format))
        return 0;
    if (!rc.url)
        return ku_rest_refuse(err, 422, 42206, "Payload error. Schema Registry must be configured "
                      "when using schemas.");
    if ((schemas->key_id >= 0 || schemas->key_schema)
        && side_schema(r, &rc, topic, format, 1, schemas->key_id, schemas->key_schema, &key,
                       err))
        return err->status;
    if ((schemas->value_id >= 0 || schemas->value_schema)
        && side_schema(r, &rc, topic, format, 0, schemas->value_id, schemas->value_schema,
                       &value, err))
        return err->status;
    if ((key && encode_side(r->pool, key, 1, records, err))
        || (value && encode_side(r->pool, value, 0, records, err)))
        return err->status;
    *key_id = key ? key->id : -1;
    *value_id = value ? value->id : -1;
    return 0;
}
