/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3_schema.c: the v3 dialect's schemas (see rest_v3_schema.h); the
 * registry client and cache are schema_registry.c's, the encoding
 * schema.c's. */
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"

#include "rest_common.h"
#include "rest_v3_schema.h"
#include "schema.h"

/* The subject an inline schema is registered under, or a version looked
 * up in: the one the object names, else the strategy's. */
static const char *subject_of(request_rec *r, const char *topic, int is_key,
                              const char *registry_type, const ku_v3_schema_ref_t *ref,
                              ku_v2_error_t *err)
{
    const char *subject, *why = NULL;

    if (ref->subject)
        return ref->subject;
    subject = ku_rest_subject(r->pool, ref->strategy, topic, is_key, registry_type,
                              ref->schema, &why);
    if (!subject)
        ku_rest_refuse(err, 400, 400, apr_pstrcat(r->pool, "Invalid schema: the subject "
                                                  "name strategy needs a record name: ",
                                                  why, NULL));
    return subject;
}

/* The schema a key or value names. */
static int find_schema(request_rec *r, const ku_sr_conf_t *rc, const char *topic, int is_key,
                       const char *type, const ku_v3_schema_ref_t *ref,
                       const ku_sr_schema_t **schema, ku_v2_error_t *err)
{
    const char *registry_type = ku_rest_registry_type(type);
    const char *why = NULL, *warning = NULL, *what, *subject;
    ku_sr_status_t st;

    if (ref->id >= 0) {
        what = apr_psprintf(r->pool, "schema id %d", ref->id);
        st = ku_sr_lookup_id(r->pool, rc, ref->id, schema, &why, &warning);
    }
    else if (!(subject = subject_of(r, topic, is_key, registry_type, ref, err)))
        return err->status;
    else if (ref->schema) {
        what = apr_psprintf(r->pool, "subject %s (an inline schema)", subject);
        st = ku_sr_register(r->pool, rc, subject, registry_type, ref->schema, schema, &why,
                            &warning);
    }
    else {
        const char *version = ref->version ? apr_itoa(r->pool, ref->version) : "latest";

        what = apr_psprintf(r->pool, "subject %s version %s", subject, version);
        st = ku_sr_lookup(r->pool, rc, subject, version, NULL, schema, &why, &warning);
    }
    ku_schema_log_warning(r, st, what, warning);
    if (st != KU_SR_OK)
        return ku_rest_lookup_refusal(r->pool, st, why, 400, 400, err);
    if (!ku_rest_schema_fits(r->pool, *schema, registry_type, what,
                             apr_pstrcat(r->pool, "the type ", type, NULL), 400, 400, err))
        return err->status;
    return 0;
}

static int encode_side(request_rec *r, const ku_sr_conf_t *rc, const char *topic, int is_key,
                       ku_v3_record_t *in, ku_v2_error_t *err)
{
    const char *type = is_key ? in->key_type : in->value_type;
    const char **data = is_key ? &in->rec.key : &in->rec.value;
    size_t *len = is_key ? &in->rec.key_len : &in->rec.value_len;
    const ku_sr_schema_t *schema;
    const char *out, *why = NULL;
    apr_size_t n;

    if (!type || !ku_rest_registry_type(type) || !*data)
        return 0;
    if (!rc->url)
        return ku_rest_refuse(err, 422, 42206, "Payload error. Schema Registry must be configured "
                      "when using schemas.");
    if (find_schema(r, rc, topic, is_key, type, is_key ? &in->key_schema : &in->value_schema,
                    &schema, err))
        return err->status;
    if (ku_schema_encode_with(r->pool, schema, is_key, 0, KU_AVRO_JSON, *data, *len, &out, &n,
                              &why) != OK)
        return ku_rest_refuse(err, 400, 400, apr_pstrcat(r->pool, "Error serializing message: ",
                                                         why, NULL));
    *data = out;
    *len = n;
    *(is_key ? &in->key_schema_id : &in->value_schema_id) = schema->id;
    return 0;
}

int ku_v3_apply_schemas(request_rec *r, const ku_dir_conf_t *conf, const char *topic,
                        ku_v3_record_t *in, ku_v2_error_t *err)
{
    ku_sr_conf_t rc = ku_schema_registry_conf(conf);

    if (encode_side(r, &rc, topic, 1, in, err) || encode_side(r, &rc, topic, 0, in, err))
        return err->status;
    return 0;
}
