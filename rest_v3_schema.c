/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3_schema.c: the v3 dialect's schemas (see rest_v3_schema.h); the
 * registry client and cache are schema_registry.c's, the encoding
 * schema.c's. */
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"

#include "rest_v3_schema.h"
#include "schema.h"

static int refuse(ku_v2_error_t *err, int status, int code, const char *message)
{
    err->status = status;
    err->code = code;
    err->message = message;
    return status;
}

static int lookup_refusal(apr_pool_t *p, ku_sr_status_t st, const char *why,
                          ku_v2_error_t *err)
{
    if (st == KU_SR_INVALID)
        return refuse(err, 400, 400, apr_pstrcat(p, "Invalid schema: ", why, NULL));
    if (st == KU_SR_UNAVAILABLE)
        return refuse(err, 503, 50302, apr_pstrcat(p, "schema registry unavailable: ", why,
                                                   NULL));
    return refuse(err, 500, 500, "the schema registry cannot be used (see the error log)");
}

/* The schema a key or value names. */
static int find_schema(request_rec *r, const ku_sr_conf_t *rc, const char *topic, int is_key,
                       const char *type, const ku_v3_schema_ref_t *ref,
                       const ku_sr_schema_t **schema, ku_v2_error_t *err)
{
    const char *subject = ref->subject ? ref->subject
                                       : apr_pstrcat(r->pool, topic, is_key ? "-key" : "-value",
                                                     NULL);
    const char *why = NULL, *warning = NULL, *what;
    int avro = !strcmp(type, "AVRO");
    ku_sr_status_t st;

    if (ref->id >= 0) {
        what = apr_psprintf(r->pool, "schema id %d", ref->id);
        st = ku_sr_lookup_id(r->pool, rc, ref->id, schema, &why, &warning);
    }
    else if (ref->schema) {
        what = apr_psprintf(r->pool, "subject %s (an inline schema)", subject);
        st = ku_sr_register(r->pool, rc, subject, avro ? "AVRO" : "JSON", ref->schema, schema,
                            &why, &warning);
    }
    else {
        const char *version = ref->version ? apr_itoa(r->pool, ref->version) : "latest";

        what = apr_psprintf(r->pool, "subject %s version %s", subject, version);
        st = ku_sr_lookup(r->pool, rc, subject, version, NULL, schema, &why, &warning);
    }
    ku_schema_log_warning(r, st, what, warning);
    if (st != KU_SR_OK)
        return lookup_refusal(r->pool, st, why, err);
    if ((*schema)->is_protobuf || (*schema)->is_avro != avro)
        return refuse(err, 400, 400, apr_psprintf(r->pool, "Invalid schema: %s is %s schema, "
                                                  "the type %s needs %s one", what,
                                                  (*schema)->is_avro ? "an Avro"
                                                  : (*schema)->is_protobuf ? "a Protobuf"
                                                  : "a JSON",
                                                  type, avro ? "an Avro" : "a JSON"));
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

    if (!type || (strcmp(type, "AVRO") && strcmp(type, "JSONSCHEMA")) || !*data)
        return 0;
    if (!rc->url)
        return refuse(err, 422, 42206, "Payload error. Schema Registry must be configured "
                      "when using schemas.");
    if (find_schema(r, rc, topic, is_key, type, is_key ? &in->key_schema : &in->value_schema,
                    &schema, err))
        return err->status;
    if (ku_schema_encode_with(r->pool, schema, is_key, 0, KU_AVRO_JSON, *data, *len, &out, &n,
                              &why) != OK)
        return refuse(err, 400, 400, apr_pstrcat(r->pool, "Error serializing message: ", why,
                                                 NULL));
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
