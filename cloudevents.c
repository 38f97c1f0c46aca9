/* SPDX-License-Identifier: Apache-2.0 */
/* cloudevents.c: CloudEvents 1.0 in an HTTP request, checked (README
 * "CloudEvents"): the ce-* headers of binary mode, the JSON event format
 * of structured and batched mode. */
#include <string.h>

#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <json-c/json.h>

#include "body_args.h"
#include "cloudevents.h"
#include "utf8.h"

/* --- modes and names ------------------------------------------------------ */

/* Whether the media type of content_type (before any parameter) is media. */
static int media_is(const char *content_type, const char *media)
{
    apr_size_t n = strlen(media);

    while (apr_isspace(*content_type))
        content_type++;
    if (strncasecmp(content_type, media, n))
        return 0;
    content_type += n;
    while (apr_isspace(*content_type))
        content_type++;
    return !*content_type || *content_type == ';';
}

ku_ce_mode_t ku_ce_mode(const char *content_type)
{
    if (!content_type)
        return KU_CE_BINARY;
    if (media_is(content_type, "application/cloudevents+json"))
        return KU_CE_STRUCTURED;
    if (media_is(content_type, "application/cloudevents-batch+json"))
        return KU_CE_BATCH;
    while (apr_isspace(*content_type))
        content_type++;
    if (!strncasecmp(content_type, "application/cloudevents", 23))
        return KU_CE_UNSUPPORTED;
    return KU_CE_BINARY;
}

int ku_ce_name_valid(const char *name)
{
    const char *c;

    for (c = name; *c; c++)
        if (!apr_islower(*c) && !apr_isdigit(*c))
            return 0;
    return c != name;
}

/* The JSON event format's rule: data of such a type is JSON itself. */
static int json_media(const char *type)
{
    const char *semi;
    apr_size_t n;

    if (!type)
        return 1; /* no datacontenttype: JSON, as the format says */
    if (media_is(type, "application/json") || media_is(type, "text/json"))
        return 1;
    semi = strchr(type, ';');
    n = semi ? (apr_size_t)(semi - type) : strlen(type);
    while (n && apr_isspace(type[n - 1]))
        n--;
    return n >= 5 && !strncasecmp(type + n - 5, "+json", 5);
}

/* --- RFC 3339 --------------------------------------------------------------- */

static int digits(const char *s, int n, int *value)
{
    int i;

    *value = 0;
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i]))
            return 0;
        *value = *value * 10 + (s[i] - '0');
    }
    return 1;
}

static int days_in(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* date-time = full-date "T" partial-time time-offset (RFC 3339 section 5.6) */
int ku_ce_time_valid(const char *s)
{
    int y, mo, d, h, mi, sec, oh, om;

    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-'
        || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't')
        || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi)
        || s[16] != ':' || !digits(s + 17, 2, &sec))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 || mi > 59 || sec > 60)
        return 0;
    s += 19;
    if (*s == '.') {
        if (!apr_isdigit(*++s))
            return 0;
        while (apr_isdigit(*s))
            s++;
    }
    if ((*s == 'Z' || *s == 'z') && !s[1])
        return 1;
    if ((*s != '+' && *s != '-') || !digits(s + 1, 2, &oh) || s[3] != ':'
        || !digits(s + 4, 2, &om) || s[6])
        return 0;
    return oh <= 23 && om <= 59;
}

/* --- the attributes ----------------------------------------------------------- */

static const char *attr_value(const apr_array_header_t *attrs, const char *name)
{
    int i;

    for (i = 0; i < attrs->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(attrs, i, ku_ce_attr_t).name, name))
            return APR_ARRAY_IDX(attrs, i, ku_ce_attr_t).value;
    return NULL;
}

/* Takes an attribute into the event: datacontenttype and partitionkey
 * have fields of their own. */
static void add_attr(ku_ce_event_t *ev, const char *name, const char *value)
{
    ku_ce_attr_t *a;

    if (!strcmp(name, "datacontenttype"))
        ev->datacontenttype = value;
    else if (!strcmp(name, "partitionkey"))
        ev->partitionkey = value;
    else {
        a = apr_array_push(ev->attrs);
        a->name = name;
        a->value = value;
    }
}

/* The spec's rules for the attributes it defines: the four required, and
 * the optional ones non-empty when present. NULL, or what is wrong. */
static const char *check_attrs(apr_pool_t *p, const ku_ce_event_t *ev)
{
    static const char *const required[] = { "specversion", "id", "source", "type", NULL };
    static const char *const optional[] = { "dataschema", "subject", "time", NULL };
    const char *v;
    int i;

    for (i = 0; required[i]; i++) {
        if (!(v = attr_value(ev->attrs, required[i])))
            return apr_psprintf(p, "CloudEvents attribute '%s' missing", required[i]);
        if (!*v)
            return apr_psprintf(p, "CloudEvents attribute '%s' empty", required[i]);
    }
    if (strcmp(attr_value(ev->attrs, "specversion"), "1.0"))
        return "CloudEvents attribute 'specversion' must be 1.0";
    for (i = 0; optional[i]; i++)
        if ((v = attr_value(ev->attrs, optional[i])) && !*v)
            return apr_psprintf(p, "CloudEvents attribute '%s' empty", optional[i]);
    if (ev->datacontenttype && !*ev->datacontenttype)
        return "CloudEvents attribute 'datacontenttype' empty";
    if ((v = attr_value(ev->attrs, "time")) && !ku_ce_time_valid(v))
        return "CloudEvents attribute 'time' is not an RFC 3339 date-time";
    return NULL;
}

static void event_init(apr_pool_t *p, ku_ce_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->attrs = apr_array_make(p, 8, sizeof(ku_ce_attr_t));
    ev->data = "";
}

/* --- binary mode ------------------------------------------------------------- */

static int hex(char c)
{
    return apr_isdigit(c) ? c - '0' : apr_isxdigit(c) ? apr_tolower(c) - 'a' + 10 : -1;
}

/* The HTTP binding percent-encodes header values; a '%' not followed by
 * two hex digits stands for itself. NULL when the result is no UTF-8 text. */
static const char *percent_decoded(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0) {
            *o++ = (char)(hex(s[1]) * 16 + hex(s[2]));
            s += 2;
        }
        else
            *o++ = *s;
    }
    *o = '\0';
    return (apr_size_t)(o - out) == strlen(out) && ku_utf8_cstr_valid(out) ? out : NULL;
}

int ku_ce_from_binary(apr_pool_t *p, const apr_table_t *headers, const char *content_type,
                      const char *body, apr_size_t len, ku_ce_event_t *ev,
                      const char **error)
{
    const apr_array_header_t *in = apr_table_elts(headers);
    int i;

    event_init(p, ev);
    for (i = 0; i < in->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(in, i, apr_table_entry_t);
        char *name;
        const char *value;

        if (strncasecmp(e->key, "ce-", 3))
            continue;
        name = apr_pstrdup(p, e->key + 3);
        for (value = name; *value; value++)
            *(char *)value = (char)apr_tolower(*value);
        if (!ku_ce_name_valid(name) || !strcmp(name, "data") || !strcmp(name, "datacontenttype")) {
            *error = apr_psprintf(p, "CloudEvents header 'ce-%s' does not name an attribute "
                                  "(the data's type goes in Content-Type)", name);
            return -1;
        }
        if (!(value = percent_decoded(p, e->val))) {
            *error = apr_psprintf(p, "CloudEvents attribute '%s' is not UTF-8 text", name);
            return -1;
        }
        add_attr(ev, name, value);
    }
    ev->datacontenttype = content_type;
    ev->data = body;
    ev->data_len = len;
    *error = check_attrs(p, ev);
    return *error ? -1 : 0;
}

/* --- the JSON event format: structured and batched mode ------------------------ */

#define KU_CE_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* An attribute's value as text: a string as it is, a number or boolean as
 * JSON writes it; NULL for what an attribute cannot be. */
static const char *attr_text(apr_pool_t *p, json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        return apr_pstrmemdup(p, json_object_get_string(v),
                              (apr_size_t)json_object_get_string_len(v));
    case json_type_int:
    case json_type_boolean:
        return apr_pstrdup(p, json_object_to_json_string_ext(v, KU_CE_JSON_FLAGS));
    default:
        return NULL;
    }
}

/* What binary mode would carry as the data: data_base64 decoded, a string
 * of a type that is not JSON as it is, any other data as JSON text. */
static const char *event_data(apr_pool_t *p, json_object *obj, ku_ce_event_t *ev)
{
    json_object *data = NULL, *b64 = NULL;
    int has_data = json_object_object_get_ex(obj, "data", &data);
    int has_b64 = json_object_object_get_ex(obj, "data_base64", &b64);
    const char *text;

    if (has_data && has_b64)
        return "CloudEvents event has both 'data' and 'data_base64'";
    if (has_b64) {
        char *raw;

        if (!json_object_is_type(b64, json_type_string)
            || json_object_get_string_len(b64) % 4)
            return "CloudEvents 'data_base64' is not base64";
        text = json_object_get_string(b64);
        if (strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
            != strlen(text))
            return "CloudEvents 'data_base64' is not base64";
        raw = apr_palloc(p, (apr_size_t)apr_base64_decode_len(text));
        ev->data_len = (apr_size_t)apr_base64_decode_binary((unsigned char *)raw, text);
        ev->data = raw;
    }
    else if (has_data && data && json_object_is_type(data, json_type_string)
             && !json_media(ev->datacontenttype)) {
        ev->data = json_object_get_string(data);
        ev->data_len = (apr_size_t)json_object_get_string_len(data);
    }
    else if (has_data) {
        ev->data = json_object_to_json_string_ext(data, KU_CE_JSON_FLAGS);
        ev->data_len = strlen(ev->data);
    }
    ev->data = apr_pmemdup(p, ev->data, ev->data_len + 1);
    return NULL;
}

/* One event object of the JSON format. NULL, or what is wrong. */
static const char *event_of_json(apr_pool_t *p, json_object *obj, ku_ce_event_t *ev)
{
    const char *error;

    event_init(p, ev);
    if (!json_object_is_type(obj, json_type_object))
        return "CloudEvents event is not a JSON object";
    json_object_object_foreach(obj, name, v) {
        const char *text;

        if (!strcmp(name, "data") || !strcmp(name, "data_base64")
            || json_object_is_type(v, json_type_null))
            continue;
        if (!ku_ce_name_valid(name))
            return apr_psprintf(p, "CloudEvents attribute name '%s' invalid: lower-case "
                                "letters and digits", ku_utf8_safe_cstr(p, name));
        if (!(text = attr_text(p, v))
            || (!json_object_is_type(v, json_type_string)
                && (!strcmp(name, "specversion") || !strcmp(name, "id")
                    || !strcmp(name, "source") || !strcmp(name, "type")
                    || !strcmp(name, "time") || !strcmp(name, "datacontenttype")
                    || !strcmp(name, "dataschema") || !strcmp(name, "subject"))))
            return apr_psprintf(p, "CloudEvents attribute '%s' has a value of the wrong "
                                "type", name);
        add_attr(ev, apr_pstrdup(p, name), text);
    }
    if ((error = check_attrs(p, ev)) || (error = event_data(p, obj, ev)))
        return error;
    return NULL;
}

int ku_ce_from_json(apr_pool_t *p, const char *body, apr_size_t len, int batch, int max,
                    apr_array_header_t **events, const char **error)
{
    json_object *root = NULL;
    const char *bad;
    int i, n;

    if ((bad = ku_parse_json_body(p, body, len, &root))) {
        *error = apr_pstrcat(p, "CloudEvents: ", bad, NULL);
        return -1;
    }
    if (batch && !json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        *error = "CloudEvents batch is not a JSON array";
        return -1;
    }
    n = batch ? (int)json_object_array_length(root) : 1;
    if (n > max) {
        json_object_put(root);
        return -2;
    }
    *events = apr_array_make(p, n ? n : 1, sizeof(ku_ce_event_t));
    for (i = 0; i < n; i++) {
        json_object *obj = batch ? json_object_array_get_idx(root, (size_t)i) : root;
        ku_ce_event_t *ev = apr_array_push(*events);

        if ((bad = event_of_json(p, obj, ev))) {
            *error = batch ? apr_psprintf(p, "event %d: %s", i, bad) : bad;
            json_object_put(root);
            return -1;
        }
        if (batch) {
            ev->json = apr_pstrdup(p, json_object_to_json_string_ext(obj, KU_CE_JSON_FLAGS));
            ev->json_len = strlen(ev->json);
        }
        else {
            ev->json = body;
            ev->json_len = len;
        }
    }
    json_object_put(root);
    return 0;
}
