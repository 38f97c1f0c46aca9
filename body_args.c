/* SPDX-License-Identifier: Apache-2.0 */
/* body_args.c: the request body parsed for the envelope's body_args: a
 * JSON body, an urlencoded form (also the query string's uri_args) and,
 * through multipart.c, multipart/form-data (json_args.c has the helpers
 * those parsers share). Plain C on APR pools and json-c, no httpd.
 *
 * Parsers return NULL on success or a short error detail; every json-c
 * object they create is either handed to the caller or released, so no
 * path leaks. Plain memory comes from the caller's pool. */
#include "body_args.h"
#include "json_args.h"
#include "json_text.h"
#include "multipart.h"
#include "urlencoded.h"
#include "utf8.h"

#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>

/* ------------------------------------------------ urlencoded (form/query) */

/* Decodes one name or value with ku_url_decode, as every query argument
 * the module reads is decoded.  Strict mode (a request body) rejects bytes that
 * are not UTF-8 and NULs in names; lenient mode (the query httpd already
 * accepted) replaces them with U+FFFD instead. */
static const char *form_component(apr_pool_t *p, const char *s, apr_size_t len,
                                  int strict, int is_name, const char **out,
                                  apr_size_t *out_len)
{
    char *dec;
    apr_size_t dec_len;

    if (ku_url_decode(p, s, len, strict, &dec, &dec_len) != 0)
        return "invalid percent-encoding in form body";
    if (!strict) {
        *out = ku_utf8_sanitize(p, dec, dec_len, is_name, out_len);
        return NULL;
    }
    if (!ku_utf8_valid(dec, dec_len))
        return "form body is not valid UTF-8";
    if (is_name && memchr(dec, '\0', dec_len))
        return "NUL byte in form field name";
    *out = dec;
    *out_len = dec_len;
    return NULL;
}

/* Adds one "name=value" (or bare "name") piece to args. */
static const char *form_piece(apr_pool_t *p, json_object *args, const char *s,
                              apr_size_t len, int strict)
{
    const char *eq = memchr(s, '=', len), *name, *value, *err;
    apr_size_t name_len = eq ? (apr_size_t)(eq - s) : len, value_len;

    if (name_len == 0)
        return NULL; /* "=x" names nothing; skipped like an empty piece */
    if ((err = form_component(p, s, name_len, strict, 1, &name, &value_len)))
        return err;
    if (!eq) {
        ku_args_add(args, name, json_object_new_boolean(1));
        return NULL;
    }
    err = form_component(p, eq + 1, len - name_len - 1, strict, 0, &value, &value_len);
    if (err)
        return err;
    ku_args_add(args, name, ku_json_string_len(value, value_len));
    return NULL;
}

/* Parses "a=1&b&a=2" into {"a":["1","2"],"b":true}; empty pieces skipped.
 * On error *args_out is left NULL. */
const char *ku_parse_form(apr_pool_t *p, const char *s, apr_size_t len,
                          int strict, json_object **args_out)
{
    json_object *args = json_object_new_object();
    apr_size_t start = 0;

    *args_out = NULL;
    while (start < len) {
        const char *amp = memchr(s + start, '&', len - start);
        apr_size_t end = amp ? (apr_size_t)(amp - s) : len;
        const char *err;

        if (end > start && (err = form_piece(p, args, s + start, end - start, strict))) {
            json_object_put(args);
            return err;
        }
        start = end + 1;
    }
    *args_out = args;
    return NULL;
}

/* ------------------------------------------------------------ JSON body */

/* Parses the whole body as one JSON value (JSON null yields NULL). */
const char *ku_parse_json_body(apr_pool_t *p, const char *body, apr_size_t len,
                               json_object **out)
{
    json_tokener *tok;
    json_object *value;
    enum json_tokener_error jerr;
    const char *copy, *err = NULL;
    apr_size_t end;
    int too_deep;

    if (len == 0)
        return "empty JSON body";
    /* JSON text is UTF-8 and has no raw NULs; checking first also keeps the
     * tokener from stopping early at an embedded NUL. */
    if (!ku_utf8_valid(body, len) || memchr(body, '\0', len))
        return "invalid JSON body";
    if (!ku_json_lexically_valid(body, len, &too_deep))
        return too_deep ? "JSON body nested too deeply" : "invalid JSON body";
    copy = apr_pstrmemdup(p, body, len);
    /* One more than the containers: json-c counts the innermost value too. */
    tok = json_tokener_new_ex(KU_MAX_JSON_DEPTH + 1);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    /* Passing the NUL tells the tokener the input ends here (for numbers). */
    value = json_tokener_parse_ex(tok, copy, (int)len + 1);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    /* Strict mode fails on trailing garbage and consumes trailing
     * whitespace; the end check is belt and braces. */
    if (jerr == json_tokener_error_depth)
        err = "JSON body nested too deeply";
    else if (jerr != json_tokener_success || end < len)
        err = "invalid JSON body";
    if (err) {
        json_object_put(value);
        return err;
    }
    *out = value;
    return NULL;
}

/* ----------------------------------------------------------------- body */

ku_body_kind_t ku_body_kind(apr_pool_t *p, const char *content_type)
{
    static const char *const text_types[] = {
        "text/plain", "text/html", "application/xml", "text/xml",
        "application/soap+xml", NULL
    };
    const char *media;
    int i;

    if (!content_type)
        return KU_BODY_OTHER;
    media = ku_header_main_value(p, content_type);
    if (apr_cstr_casecmp(media, "application/json") == 0)
        return KU_BODY_JSON;
    if (apr_cstr_casecmp(media, "application/x-www-form-urlencoded") == 0)
        return KU_BODY_FORM;
    if (apr_cstr_casecmp(media, "multipart/form-data") == 0)
        return KU_BODY_MULTIPART;
    for (i = 0; text_types[i]; i++)
        if (apr_cstr_casecmp(media, text_types[i]) == 0)
            return KU_BODY_TEXT;
    return KU_BODY_OTHER;
}

/* body_args for the parseable types, {} for the rest. */
const char *ku_parse_body_args(apr_pool_t *p, const char *content_type, const char *body,
                               apr_size_t len, ku_body_kind_t kind, json_object **args)
{
    *args = NULL;
    switch (kind) {
    case KU_BODY_JSON:
        return ku_parse_json_body(p, body, len, args);
    case KU_BODY_FORM:
        return ku_parse_form(p, body, len, 1, args);
    case KU_BODY_MULTIPART:
        return ku_parse_multipart(p, content_type, body, len, args);
    default:
        *args = json_object_new_object();
        return NULL;
    }
}
