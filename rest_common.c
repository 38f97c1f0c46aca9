/* SPDX-License-Identifier: Apache-2.0 */
/* rest_common.c: see rest_common.h. */
#include <string.h>
#include <strings.h>

#include "apr_strings.h"
#include <json-c/json.h>

#include "protobuf_encode.h"
#include "rest_common.h"

int ku_rest_refuse(ku_v2_error_t *err, int status, int code, const char *message)
{
    err->status = status;
    err->code = code;
    err->message = message;
    return status;
}

int ku_rest_lookup_refusal(apr_pool_t *p, ku_sr_status_t st, const char *why,
                           int invalid_status, int invalid_code, ku_v2_error_t *err)
{
    if (st == KU_SR_INVALID)
        return ku_rest_refuse(err, invalid_status, invalid_code,
                              apr_pstrcat(p, "Invalid schema: ", why, NULL));
    if (st == KU_SR_UNAVAILABLE)
        return ku_rest_refuse(err, 503, 50302,
                              apr_pstrcat(p, "schema registry unavailable: ", why, NULL));
    return ku_rest_refuse(err, 500, 500,
                          "the schema registry cannot be used (see the error log)");
}

int ku_rest_record_headers(apr_pool_t *p, const apr_array_header_t *own,
                           const apr_array_header_t *request, int max,
                           const apr_array_header_t **out, ku_v2_error_t *err)
{
    int n_own = own ? own->nelts : 0, n_request = request ? request->nelts : 0, i;
    apr_array_header_t *all;

    *out = NULL;
    if (n_own + n_request > max)
        return ku_rest_refuse(err, 413, 413, apr_psprintf(
                                  p, "too many record headers: at most %d per record", max));
    if (!n_own) {
        *out = n_request ? request : NULL; /* shared by the request's records */
        return 0;
    }
    all = apr_array_make(p, n_own + n_request, sizeof(ku_header_t));
    for (i = 0; i < n_own; i++) {
        const ku_v2_header_t *from = &APR_ARRAY_IDX(own, i, ku_v2_header_t);
        ku_header_t *to = apr_array_push(all);

        to->name = from->name;
        to->value = from->value;
        to->value_len = from->value_len;
    }
    for (i = 0; i < n_request; i++)
        *(ku_header_t *)apr_array_push(all) = APR_ARRAY_IDX(request, i, ku_header_t);
    *out = all;
    return 0;
}

const char *ku_rest_registry_type(const char *format)
{
    if (!strcasecmp(format, "avro"))
        return "AVRO";
    if (!strcasecmp(format, "jsonschema"))
        return "JSON";
    if (!strcasecmp(format, "protobuf"))
        return "PROTOBUF";
    return NULL;
}

static const char *type_of(const ku_sr_schema_t *schema)
{
    return schema->is_avro ? "AVRO" : schema->is_protobuf ? "PROTOBUF" : "JSON";
}

static const char *kind_words(const char *type)
{
    return !strcmp(type, "AVRO") ? "an Avro" : !strcmp(type, "PROTOBUF") ? "a Protobuf"
                                                                         : "a JSON";
}

int ku_rest_schema_fits(apr_pool_t *p, const ku_sr_schema_t *schema, const char *type,
                        const char *what, const char *needs, int invalid_status,
                        int invalid_code, ku_v2_error_t *err)
{
    if (!strcmp(type_of(schema), type))
        return 1;
    ku_rest_refuse(err, invalid_status, invalid_code,
                   apr_psprintf(p, "Invalid schema: %s is %s schema, %s needs %s one", what,
                                kind_words(type_of(schema)), needs, kind_words(type)));
    return 0;
}

/* 400 and 422 are a body we could not read as records; 404 is a route
 * (a missing topic is found per record, KU_REJECT_UNKNOWN_TOPIC); 405,
 * 406, 415 and 500 are neither the body's nor Kafka's. */
ku_reject_t ku_rest_reject_reason(int status)
{
    switch (status) {
    case 400:
    case 422:
        return KU_REJECT_BAD_REQUEST;
    case 403:
        return KU_REJECT_TOPIC_NOT_ALLOWED;
    case 413:
        return KU_REJECT_TOO_LARGE;
    case 503:
        return KU_REJECT_UNAVAILABLE;
    default:
        return KU_REJECT_OTHER;
    }
}

int ku_rest_strategy_parse(const char *name, ku_rest_strategy_t *out)
{
    if (!strcmp(name, "TOPIC_NAME"))
        *out = KU_REST_TOPIC_NAME;
    else if (!strcmp(name, "RECORD_NAME"))
        *out = KU_REST_RECORD_NAME;
    else if (!strcmp(name, "TOPIC_RECORD_NAME"))
        *out = KU_REST_TOPIC_RECORD_NAME;
    else
        return -1;
    return 0;
}

static const char *string_member(json_object *o, const char *name)
{
    json_object *v;

    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string)
        || !json_object_get_string_len(v))
        return NULL;
    return json_object_get_string(v);
}

/* A named Avro type (record, enum, fixed): name when it holds a dot (it
 * is full), else namespace.name. */
static const char *avro_full_name(apr_pool_t *p, json_object *doc, const char **why)
{
    const char *type = string_member(doc, "type"), *name = string_member(doc, "name");
    const char *space = string_member(doc, "namespace");

    if (!type || !name || (strcmp(type, "record") && strcmp(type, "enum")
                           && strcmp(type, "fixed"))) {
        *why = "the Avro schema is no named type (record, enum or fixed)";
        return NULL;
    }
    if (strchr(name, '.') || !space)
        return apr_pstrdup(p, name);
    return apr_pstrcat(p, space, ".", name, NULL);
}

static const char *protobuf_first_message(apr_pool_t *p, const char *text, const char **why)
{
    char error[512];
    ku_pb_schema_t *s = ku_pb_schema_parse(text, NULL, 0, NULL, error, sizeof(error));
    const char *name;

    if (!s) {
        *why = apr_pstrdup(p, error);
        return NULL;
    }
    name = apr_pstrdup(p, ku_pb_message_name(s));
    ku_pb_schema_free(s);
    return name;
}

const char *ku_rest_record_name(apr_pool_t *p, const char *type, const char *text,
                                const char **why)
{
    json_object *doc;
    const char *name;

    if (!strcmp(type, "PROTOBUF"))
        return protobuf_first_message(p, text, why);
    if (!(doc = json_tokener_parse(text)) || !json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        *why = "the schema is not a JSON object";
        return NULL;
    }
    if (!strcmp(type, "AVRO"))
        name = avro_full_name(p, doc, why);
    else if (!(name = string_member(doc, "title")))
        *why = "the JSON Schema has no \"title\" to name its record";
    else
        name = apr_pstrdup(p, name);
    json_object_put(doc);
    return name;
}

const char *ku_rest_subject(apr_pool_t *p, ku_rest_strategy_t strategy, const char *topic,
                            int is_key, const char *type, const char *text, const char **why)
{
    const char *record;

    if (strategy == KU_REST_TOPIC_NAME)
        return apr_pstrcat(p, topic, is_key ? "-key" : "-value", NULL);
    if (!(record = ku_rest_record_name(p, type, text, why)))
        return NULL;
    return strategy == KU_REST_RECORD_NAME ? record : apr_pstrcat(p, topic, "-", record, NULL);
}
