/*
 * encoder.c - builds the Kafka message envelope (see encoder.h): written
 * directly into a pool buffer, json-c for the parsed values.
 *
 * Internal parsers return NULL on success or a short error detail; every
 * json-c object they create is either handed to the caller or released,
 * so no path leaks.  Plain memory comes from the caller's pool.
 */
#include "encoder.h"
#include "json_text.h"

#include <limits.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_cstr.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <json-c/json.h>

/* json-c and apr_base64 take int lengths; stay well clear of INT_MAX so the
 * base64 form of a body (4/3 larger) still fits. */
#define KU_MAX_BODY ((apr_size_t)(INT_MAX / 2))

/* Longest boundary RFC 2046 allows. */
#define KU_MAX_BOUNDARY 70

/* ------------------------------------------------------------------ UTF-8 */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0 when the
 * bytes there are not one: overlongs, surrogates, > U+10FFFF, truncation. */
static apr_size_t utf8_seq_len(const unsigned char *s, apr_size_t avail)
{
    unsigned char lo = 0x80, hi = 0xBF;
    apr_size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    /* The second byte's range is what excludes overlongs and surrogates. */
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static int utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0, n;

    while (i < len) {
        if (u[i] < 0x80) { /* most bodies are ASCII: no call per byte */
            i++;
            continue;
        }
        if ((n = utf8_seq_len(u + i, len - i)) == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* Copies s with every invalid byte (and NUL, when asked: object keys are C
 * strings) replaced by U+FFFD, so lenient input still yields valid JSON.
 * Returns s itself when nothing needs replacing. */
static const char *utf8_sanitize(apr_pool_t *p, const char *s, apr_size_t len,
                                 int replace_nul, apr_size_t *out_len)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    const unsigned char *u = (const unsigned char *)s;
    char *out, *o;
    apr_size_t i = 0, n;

    if (utf8_valid(s, len) && !(replace_nul && memchr(s, '\0', len))) {
        *out_len = len;
        return s;
    }
    o = out = apr_palloc(p, len * 3 + 1);
    while (i < len) {
        n = utf8_seq_len(u + i, len - i);
        if (n == 0 || (replace_nul && u[i] == '\0')) {
            memcpy(o, fffd, 3);
            o += 3;
            i++;
        }
        else {
            memcpy(o, s + i, n);
            o += n;
            i += n;
        }
    }
    *o = '\0';
    *out_len = (apr_size_t)(o - out);
    return out;
}

/* NULL counts as valid: absent values are simply omitted later. */
static int cstr_utf8(const char *s)
{
    return !s || utf8_valid(s, strlen(s));
}

/* A C string made safe for JSON (header names and values may carry obs-text). */
static const char *utf8_safe_cstr(apr_pool_t *p, const char *s)
{
    apr_size_t len;

    return utf8_sanitize(p, s, strlen(s), 1, &len);
}

/* ---------------------------------------------------------- json helpers */

static json_object *json_string_len(const char *s, apr_size_t len)
{
    return json_object_new_string_len(s, (int)len);
}

/* Adds value under key; a repeated key turns the entry into an array that
 * keeps the values in arrival order.  Takes ownership of value. */
static void args_add(json_object *args, const char *key, json_object *value)
{
    json_object *prev, *arr;

    if (!json_object_object_get_ex(args, key, &prev)) {
        json_object_object_add(args, key, value);
        return;
    }
    if (json_object_is_type(prev, json_type_array)) {
        json_object_array_add(prev, value);
        return;
    }
    arr = json_object_new_array();
    json_object_array_add(arr, json_object_get(prev));
    json_object_array_add(arr, value);
    json_object_object_add(args, key, arr); /* drops the table's ref to prev */
}

static json_object *base64_string(apr_pool_t *p, const char *data, apr_size_t len)
{
    char *enc = apr_palloc(p, apr_base64_encode_len((int)len));
    int n = apr_base64_encode_binary(enc, (const unsigned char *)data, (int)len);

    return json_string_len(enc, (apr_size_t)(n - 1)); /* n counts the NUL */
}

/* ----------------------------------------------------- header parameters */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *trim_right(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);

    while (n > 0 && is_ows(s[n - 1]))
        n--;
    return apr_pstrmemdup(p, s, n);
}

/* The media type (or disposition type) of a header value: the part before
 * the first ';', trimmed. */
static const char *header_main_value(apr_pool_t *p, const char *value)
{
    while (is_ows(*value))
        value++;
    return trim_right(p, apr_pstrmemdup(p, value, strcspn(value, ";")));
}

/* Reads one parameter value at *s: a quoted-string (backslash escapes
 * honoured) or a token.  Returns NULL for an unterminated quoted-string. */
static const char *read_param_value(apr_pool_t *p, const char **s)
{
    const char *c = *s;
    char *out, *o;

    if (*c != '"') {
        apr_size_t n = strcspn(c, "; \t");

        *s = c + n;
        return apr_pstrmemdup(p, c, n);
    }
    o = out = apr_palloc(p, strlen(c));
    for (c++; *c && *c != '"'; c++) {
        if (*c == '\\' && c[1])
            c++;
        *o++ = *c;
    }
    if (*c != '"')
        return NULL;
    *o = '\0';
    *s = c + 1;
    return out;
}

/* Value of the parameter called name in a "type; a=b; c="d"" header value,
 * names compared case-insensitively; NULL when absent or malformed. */
static const char *header_param(apr_pool_t *p, const char *value, const char *name)
{
    const char *s = strchr(value, ';');
    apr_size_t name_len = strlen(name);

    while (s && *s) {
        const char *pname, *pval;
        apr_size_t plen;

        while (*s == ';' || is_ows(*s))
            s++;
        pname = s;
        plen = strcspn(s, "=; \t");
        s += plen;
        while (is_ows(*s))
            s++;
        if (*s != '=')
            continue; /* a bare word: not a name=value parameter */
        s++;
        while (is_ows(*s))
            s++;
        if ((pval = read_param_value(p, &s)) == NULL)
            return NULL;
        if (plen == name_len && apr_cstr_casecmpn(pname, name, plen) == 0)
            return pval;
        s += strcspn(s, ";"); /* skip junk after the value */
    }
    return NULL;
}

/* ------------------------------------------------ urlencoded (form/query) */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)apr_tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes form-urlencoded bytes: '+' is a space, %XX a byte.  A bad escape
 * fails in strict mode and is kept literally otherwise.  Returns 0 or -1. */
static int form_decode(apr_pool_t *p, const char *s, apr_size_t len, int strict,
                       char **out, apr_size_t *out_len)
{
    char *o = *out = apr_palloc(p, len + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;

        if (s[i] == '%' && hi >= 0 && lo >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        }
        else if (s[i] == '%' && strict)
            return -1;
        else
            *o++ = s[i] == '+' ? ' ' : s[i];
    }
    *o = '\0';
    *out_len = (apr_size_t)(o - *out);
    return 0;
}

/* Decodes one name or value.  Strict mode (a request body) rejects bytes that
 * are not UTF-8 and NULs in names; lenient mode (the query httpd already
 * accepted) replaces them with U+FFFD instead. */
static const char *form_component(apr_pool_t *p, const char *s, apr_size_t len,
                                  int strict, int is_name, const char **out,
                                  apr_size_t *out_len)
{
    char *dec;
    apr_size_t dec_len;

    if (form_decode(p, s, len, strict, &dec, &dec_len) != 0)
        return "invalid percent-encoding in form body";
    if (!strict) {
        *out = utf8_sanitize(p, dec, dec_len, is_name, out_len);
        return NULL;
    }
    if (!utf8_valid(dec, dec_len))
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
        args_add(args, name, json_object_new_boolean(1));
        return NULL;
    }
    err = form_component(p, eq + 1, len - name_len - 1, strict, 0, &value, &value_len);
    if (err)
        return err;
    args_add(args, name, json_string_len(value, value_len));
    return NULL;
}

/* Parses "a=1&b&a=2" into {"a":["1","2"],"b":true}; empty pieces skipped.
 * On error *args_out is left NULL. */
static const char *parse_form(apr_pool_t *p, const char *s, apr_size_t len,
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
    if (!utf8_valid(body, len) || memchr(body, '\0', len))
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

/* ------------------------------------------------- multipart/form-data */

typedef struct {
    const char *buf;
    apr_size_t len;
    const char *delim; /* "--" boundary */
    apr_size_t delim_len;
} mp_body_t;

typedef struct {
    const char *name, *filename, *content_type;
    const char *data;
    apr_size_t data_len;
} mp_part_t;

/* Offset of the next delimiter at or after from that starts a line, or -1. */
static apr_ssize_t mp_find_delim(const mp_body_t *mp, apr_size_t from)
{
    apr_size_t i = from;

    while (i + mp->delim_len <= mp->len) {
        const char *nl;

        if ((i == 0 || mp->buf[i - 1] == '\n')
            && memcmp(mp->buf + i, mp->delim, mp->delim_len) == 0)
            return (apr_ssize_t)i;
        nl = memchr(mp->buf + i, '\n', mp->len - i);
        if (!nl)
            break;
        i = (apr_size_t)(nl - mp->buf) + 1;
    }
    return -1;
}

/* One header line at *pos, without its CRLF (or bare LF); NULL when the
 * body ends before the line does. */
static const char *mp_read_line(apr_pool_t *p, const mp_body_t *mp, apr_size_t *pos,
                                apr_size_t *line_len)
{
    const char *start = mp->buf + *pos;
    const char *nl = memchr(start, '\n', mp->len - *pos);
    apr_size_t n;

    if (!nl)
        return NULL;
    n = (apr_size_t)(nl - start);
    *pos += n + 1;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    *line_len = n;
    return apr_pstrmemdup(p, start, n);
}

static int header_is(const char *line, apr_size_t name_len, const char *name)
{
    return strlen(name) == name_len && apr_cstr_casecmpn(line, name, name_len) == 0;
}

/* Reads a part's headers up to the blank line, leaving *pos at its content. */
static const char *mp_read_headers(apr_pool_t *p, const mp_body_t *mp,
                                   apr_size_t *pos, mp_part_t *part)
{
    const char *line, *disposition = NULL;
    apr_size_t line_len;

    while ((line = mp_read_line(p, mp, pos, &line_len)) != NULL && line_len > 0) {
        const char *colon = strchr(line, ':'), *value;

        if (!colon)
            return "malformed multipart part header";
        value = colon + 1;
        while (is_ows(*value))
            value++;
        if (header_is(line, (apr_size_t)(colon - line), "content-disposition"))
            disposition = value;
        else if (header_is(line, (apr_size_t)(colon - line), "content-type"))
            part->content_type = trim_right(p, value);
    }
    if (!line)
        return "truncated multipart body";
    if (!disposition || !(part->name = header_param(p, disposition, "name")))
        return "multipart part without a field name";
    part->filename = header_param(p, disposition, "filename");
    if (!cstr_utf8(part->name) || !cstr_utf8(part->filename)
        || !cstr_utf8(part->content_type))
        return "multipart part header is not valid UTF-8";
    return NULL;
}

/* After a delimiter: "--" closes the body, otherwise optional padding and
 * the line end must follow.  Sets *closed, advances *pos past the line. */
static const char *mp_after_delim(const mp_body_t *mp, apr_size_t *pos, int *closed)
{
    apr_size_t i = *pos;

    *closed = i + 2 <= mp->len && mp->buf[i] == '-' && mp->buf[i + 1] == '-';
    if (*closed)
        return NULL;
    while (i < mp->len && is_ows(mp->buf[i]))
        i++;
    if (i < mp->len && mp->buf[i] == '\r')
        i++;
    if (i >= mp->len)
        return "truncated multipart body";
    if (mp->buf[i] != '\n')
        return "malformed multipart boundary line";
    *pos = i + 1;
    return NULL;
}

/* The JSON value of a part: its text, or an object describing it when the
 * content is not UTF-8 (binary files). */
static json_object *mp_part_value(apr_pool_t *p, const mp_part_t *part)
{
    json_object *obj;

    if (utf8_valid(part->data, part->data_len))
        return json_string_len(part->data, part->data_len);
    obj = json_object_new_object();
    if (part->filename)
        json_object_object_add(obj, "filename", json_object_new_string(part->filename));
    if (part->content_type)
        json_object_object_add(obj, "content_type",
                               json_object_new_string(part->content_type));
    json_object_object_add(obj, "content_base64",
                           base64_string(p, part->data, part->data_len));
    return obj;
}

/* Reads the part starting at *pos (just past its delimiter line) and leaves
 * *pos at the next delimiter. */
static const char *mp_read_part(apr_pool_t *p, const mp_body_t *mp, apr_size_t *pos,
                                mp_part_t *part)
{
    const char *err;
    apr_ssize_t next;
    apr_size_t end;

    memset(part, 0, sizeof(*part));
    if ((err = mp_read_headers(p, mp, pos, part)))
        return err;
    if ((next = mp_find_delim(mp, *pos)) < 0)
        return "multipart body without closing boundary";
    /* The line break before a delimiter belongs to the delimiter. */
    end = (apr_size_t)next;
    if (end > *pos && mp->buf[end - 1] == '\n')
        end--;
    if (end > *pos && mp->buf[end - 1] == '\r')
        end--;
    part->data = mp->buf + *pos;
    part->data_len = end - *pos;
    *pos = (apr_size_t)next;
    return NULL;
}

/* RFC 2046 boundary: 1-70 of its allowed characters, not ending in a space. */
static int boundary_valid(const char *b)
{
    static const char allowed[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";
    apr_size_t len = strlen(b);

    return len >= 1 && len <= KU_MAX_BOUNDARY && strspn(b, allowed) == len
           && b[len - 1] != ' ';
}

static const char *mp_parts(apr_pool_t *p, const mp_body_t *mp, json_object *args)
{
    apr_ssize_t first = mp_find_delim(mp, 0);
    apr_size_t pos;
    int closed = 0;
    const char *err;

    if (first < 0)
        return "multipart body without opening boundary";
    pos = (apr_size_t)first;
    for (;;) {
        mp_part_t part;

        pos += mp->delim_len;
        if ((err = mp_after_delim(mp, &pos, &closed)) || closed)
            return err; /* text after the closing delimiter is epilogue */
        if ((err = mp_read_part(p, mp, &pos, &part)))
            return err;
        args_add(args, part.name, mp_part_value(p, &part));
    }
}

static const char *parse_multipart(apr_pool_t *p, const char *content_type,
                                   const char *body, apr_size_t len,
                                   json_object **args_out)
{
    const char *boundary = header_param(p, content_type, "boundary"), *err;
    mp_body_t mp;
    json_object *args;

    *args_out = NULL;
    if (!boundary)
        return "multipart body without boundary";
    if (!boundary_valid(boundary))
        return "invalid multipart boundary";
    mp.buf = body;
    mp.len = len;
    mp.delim = apr_pstrcat(p, "--", boundary, NULL);
    mp.delim_len = strlen(mp.delim);
    args = json_object_new_object();
    if ((err = mp_parts(p, &mp, args))) {
        json_object_put(args);
        return err;
    }
    *args_out = args;
    return NULL;
}

/* ----------------------------------------------------------------- body */

typedef enum { BODY_JSON, BODY_FORM, BODY_MULTIPART, BODY_TEXT, BODY_OTHER } body_kind_t;

static body_kind_t body_kind(apr_pool_t *p, const char *content_type)
{
    static const char *const text_types[] = {
        "text/plain", "text/html", "application/xml", "text/xml",
        "application/soap+xml", NULL
    };
    const char *media;
    int i;

    if (!content_type)
        return BODY_OTHER;
    media = header_main_value(p, content_type);
    if (apr_cstr_casecmp(media, "application/json") == 0)
        return BODY_JSON;
    if (apr_cstr_casecmp(media, "application/x-www-form-urlencoded") == 0)
        return BODY_FORM;
    if (apr_cstr_casecmp(media, "multipart/form-data") == 0)
        return BODY_MULTIPART;
    for (i = 0; text_types[i]; i++)
        if (apr_cstr_casecmp(media, text_types[i]) == 0)
            return BODY_TEXT;
    return BODY_OTHER;
}

/* body_args for the parseable types, {} for the rest. */
static const char *parse_body_args(apr_pool_t *p, const ku_request_t *req,
                                   body_kind_t kind, json_object **args)
{
    *args = NULL;
    switch (kind) {
    case BODY_JSON:
        return ku_parse_json_body(p, req->body, req->body_len, args);
    case BODY_FORM:
        return parse_form(p, req->body, req->body_len, 1, args);
    case BODY_MULTIPART:
        return parse_multipart(p, req->content_type, req->body, req->body_len, args);
    default:
        *args = json_object_new_object();
        return NULL;
    }
}

/* ------------------------------------------------- the envelope, written
 *
 * The envelope is written straight into one pool buffer, as json-c would
 * print the same object (JSON_C_TO_STRING_PLAIN | NOSLASHESCAPE: no spaces,
 * members in insertion order, json-c's escapes): only the parsed values
 * (uri_args, headers, body_args) still go through a json-c tree. */

typedef struct {
    const char *name;     /* member name, NULL: unused */
    const char *str;      /* a string value, escaped when written */
    apr_size_t str_len;
    const char *json;     /* or JSON text written as it is */
    apr_size_t json_len;
} env_member_t;

/* json-c's json_escape_str: \b \n \r \t \f \" \\ by name, other bytes
 * below 0x20 as \u00xx (lower case hex), everything else as it is. What
 * escaping adds to each byte, looked up once per byte. */
static const unsigned char escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5,   /* \b \t \n \f \r: 1 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    ['"'] = 1, ['\\'] = 1,
};

static apr_size_t escaped_len(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i, n = len;

    for (i = 0; i < len; i++)
        n += escape_extra[u[i]];
    return n;
}

static char *write_escaped(char *o, const char *s, apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t i, run = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char e;

        if (!escape_extra[c])
            continue;
        memcpy(o, s + run, i - run);
        o += i - run;
        run = i + 1;
        e = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\n' ? 'n'
          : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\f' ? 'f' : 0;
        *o++ = '\\';
        if (e)
            *o++ = e;
        else {
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 0xf];
            o += 5;
        }
    }
    memcpy(o, s + run, len - run);
    return o + (len - run);
}

/* Adds a member, or replaces the value of one of that name in its place
 * (json_object_object_add). */
static void member_set(env_member_t *m, int *n, const char *name, const char *str,
                       apr_size_t str_len, const char *json, apr_size_t json_len)
{
    int i;

    for (i = 0; i < *n && strcmp(m[i].name, name); i++)
        ;
    if (i == *n)
        (*n)++;
    m[i].name = name;
    m[i].str = str;
    m[i].str_len = str_len;
    m[i].json = json;
    m[i].json_len = json_len;
}

/* A json-c value's text, copied to the pool; NULL prints as null. */
static const char *json_text(apr_pool_t *p, json_object *value, apr_size_t *len)
{
    size_t n;
    const char *s;

    if (!value) {
        *len = 4;
        return "null";
    }
    s = json_object_to_json_string_length(
        value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    *len = n;
    return apr_pstrmemdup(p, s, n);
}

static void member_json(apr_pool_t *p, env_member_t *m, int *n, const char *name,
                        json_object *value)
{
    apr_size_t len;
    const char *text = json_text(p, value, &len);

    json_object_put(value);
    member_set(m, n, name, NULL, 0, text, len);
}

static void member_str(env_member_t *m, int *n, const char *name, const char *s)
{
    member_set(m, n, name, s, strlen(s), NULL, 0);
}

/* A JSON body json-c would print unchanged but for whitespace: its text is
 * body_args as it is, without a json-c tree (json_text.c). */
static int compact_json_body(apr_pool_t *p, const ku_request_t *req, int body_utf8,
                             const char **text, apr_size_t *len)
{
    return req->body_len && body_utf8 && !memchr(req->body, '\0', req->body_len)
           && ku_json_compact(p, req->body, req->body_len, text, len);
}

/* body, body_args and (when the body had to be encoded) body_base64. */
static const char *add_body_fields(apr_pool_t *p, env_member_t *m, int *n,
                                   const ku_request_t *req)
{
    body_kind_t kind = body_kind(p, req->content_type);
    const char *body = req->body ? req->body : "", *err, *args_text = NULL;
    apr_size_t args_len = 0;
    json_object *args;
    int as_base64, body_utf8;

    if (req->body_len > KU_MAX_BODY)
        return "body too large to encode";
    body_utf8 = utf8_valid(body, req->body_len);
    if (kind == BODY_JSON && compact_json_body(p, req, body_utf8, &args_text, &args_len))
        args = NULL;
    else if ((err = parse_body_args(p, req, kind, &args)))
        return err;
    else if (!args) /* the JSON body null: SPEC §3 allows no null field */
        args = json_object_new_object();
    /* Unknown types are opaque; known ones stay raw only if they are text. */
    as_base64 = kind == BODY_OTHER || !body_utf8;
    if (as_base64) {
        char *enc = apr_palloc(p, apr_base64_encode_len((int)req->body_len));
        int len = apr_base64_encode_binary(enc, (const unsigned char *)body,
                                           (int)req->body_len);

        member_set(m, n, "body", enc, (apr_size_t)(len - 1), NULL, 0); /* len counts the NUL */
    }
    else
        member_set(m, n, "body", body, req->body_len, NULL, 0);
    if (args_text)
        member_set(m, n, "body_args", NULL, 0, args_text, args_len);
    else
        member_json(p, m, n, "body_args", args);
    if (as_base64)
        member_set(m, n, "body_base64", NULL, 0, "true", 4);
    return NULL;
}

/* ------------------------------------------------------ other fields */

static void add_uri_fields(apr_pool_t *p, env_member_t *m, int *n, const ku_request_t *req)
{
    json_object *args = NULL;

    if (req->uri)
        member_str(m, n, "uri", utf8_safe_cstr(p, req->uri));
    /* Lenient parsing never fails: the query was already accepted by httpd. */
    parse_form(p, req->query ? req->query : "", req->query ? strlen(req->query) : 0,
               0, &args);
    member_json(p, m, n, "uri_args", args);
}

static void add_headers_field(apr_pool_t *p, env_member_t *m, int *n,
                              const ku_request_t *req)
{
    json_object *headers = json_object_new_object();

    if (req->headers) {
        const apr_array_header_t *arr = apr_table_elts(req->headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;

        for (i = 0; i < arr->nelts; i++) {
            char *name, *c;
            const char *value;
            json_object *prev;

            if (!e[i].key)
                continue;
            name = apr_pstrdup(p, utf8_safe_cstr(p, e[i].key));
            for (c = name; *c; c++)
                *c = (char)apr_tolower(*c);
            value = utf8_safe_cstr(p, e[i].val ? e[i].val : "");
            /* A name still listed twice is merged the way httpd merges. */
            if (json_object_object_get_ex(headers, name, &prev))
                value = apr_pstrcat(p, json_object_get_string(prev), ", ", value, NULL);
            json_object_object_add(headers, name, json_object_new_string(value));
        }
    }
    member_json(p, m, n, "headers", headers);
}

/* ---------------------------------------------------------------- entry */

static void add_config_fields(apr_pool_t *p, env_member_t *m, int *n,
                              const apr_array_header_t *fields)
{
    const ku_enc_field_t *field = fields ? (const ku_enc_field_t *)fields->elts : NULL;
    int i;

    for (i = 0; fields && i < fields->nelts; i++)
        if (field[i].value && *field[i].value)
            member_str(m, n, field[i].name, utf8_safe_cstr(p, field[i].value));
}

static void write_envelope(apr_pool_t *p, const env_member_t *m, int n,
                           const char **out, apr_size_t *out_len)
{
    apr_size_t len = 2; /* {} */
    char *buf, *o;
    int i;

    for (i = 0; i < n; i++) {
        len += (i > 0) + 3 + escaped_len(m[i].name, strlen(m[i].name)); /* ,"name": */
        len += m[i].json ? m[i].json_len : 2 + escaped_len(m[i].str, m[i].str_len);
    }
    o = buf = apr_palloc(p, len + 1);
    *o++ = '{';
    for (i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ',';
        *o++ = '"';
        o = write_escaped(o, m[i].name, strlen(m[i].name));
        *o++ = '"';
        *o++ = ':';
        if (m[i].json) {
            memcpy(o, m[i].json, m[i].json_len);
            o += m[i].json_len;
        }
        else {
            *o++ = '"';
            o = write_escaped(o, m[i].str, m[i].str_len);
            *o++ = '"';
        }
    }
    *o++ = '}';
    *o = '\0';
    *out = buf;
    if (out_len)
        *out_len = (apr_size_t)(o - buf);
}

ku_enc_status_t ku_encode_envelope(apr_pool_t *p, const ku_request_t *req,
                                   const ku_encode_opts_t *opts,
                                   const char **out, apr_size_t *out_len,
                                   const char **error)
{
    int n = 0, max = 7 + (opts->fields ? opts->fields->nelts : 0);
    env_member_t *m = apr_palloc(p, sizeof(*m) * (apr_size_t)max);
    const char *err;

    if (opts->forward_method && req->method)
        member_str(m, &n, "method", utf8_safe_cstr(p, req->method));
    if (opts->forward_uri)
        add_uri_fields(p, m, &n, req);
    if (opts->forward_headers)
        add_headers_field(p, m, &n, req);
    if (opts->forward_body && (err = add_body_fields(p, m, &n, req))) {
        if (error)
            *error = err;
        return KU_ENC_BAD_BODY;
    }
    add_config_fields(p, m, &n, opts->fields);
    write_envelope(p, m, n, out, out_len);
    return KU_ENC_OK;
}

/* ---------------------------------------------------------------- split */

/* Whether s is one valid JSON value (starting with first, unless 0): the
 * text-only check first, json-c when that cannot tell. */
static int json_value_is(apr_pool_t *p, const char *s, apr_size_t len, char first)
{
    json_object *value = NULL;
    const char *text;
    apr_size_t n = 0;

    if (utf8_valid(s, len) && !memchr(s, '\0', len) && ku_json_compact(p, s, len, &text, &n))
        return !first || text[0] == first;
    if (first || ku_parse_json_body(p, s, len, &value))
        return 0;
    json_object_put(value);
    return 1;
}

static void push_slice(apr_array_header_t *records, const char *data, apr_size_t len)
{
    ku_slice_t *slice = apr_array_push(records);
    slice->data = data;
    slice->len = len;
}

static int is_blank(const char *s, apr_size_t len)
{
    while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++, len--;
    return len == 0;
}

static const char *split_ndjson(apr_pool_t *p, const char *body, apr_size_t len,
                                apr_array_header_t *records)
{
    apr_size_t start = 0, line = 0;

    while (start < len) {
        const char *nl = memchr(body + start, '\n', len - start);
        apr_size_t end = nl ? (apr_size_t)(nl - body) : len, n = end - start;

        line++;
        if (n && body[start + n - 1] == '\r')
            n--;
        if (!is_blank(body + start, n)) {
            if (!json_value_is(p, body + start, n, 0))
                return apr_psprintf(p, "invalid JSON on line %" APR_SIZE_T_FMT, line);
            push_slice(records, body + start, n);
        }
        start = end + 1;
    }
    return NULL;
}

/* Pushes the text of each top-level element of a JSON array that was
 * already validated, as the client wrote it. */
static void push_array_elements(const char *body, apr_size_t len,
                                apr_array_header_t *records)
{
    apr_size_t i = 0, start;
    int depth = 0, in_string = 0;

    while (i < len && body[i] != '[')
        i++;
    for (start = ++i; i < len; i++) {
        char c = body[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        }
        else if (c == '"')
            in_string = 1;
        else if (c == '[' || c == '{')
            depth++;
        else if (depth && (c == ']' || c == '}'))
            depth--;
        else if (!depth && (c == ',' || c == ']')) {
            apr_size_t from = start, to = i;

            while (from < to && strchr(" \t\r\n", body[from]))
                from++;
            while (to > from && strchr(" \t\r\n", body[to - 1]))
                to--;
            if (to > from)
                push_slice(records, body + from, to - from);
            start = i + 1;
            if (c == ']')
                return;
        }
    }
}

static const char *split_json_array(apr_pool_t *p, const char *body, apr_size_t len,
                                    apr_array_header_t *records)
{
    json_object *value = NULL;
    const char *err = NULL;
    int is_array = json_value_is(p, body, len, '[');

    if (!is_array) {
        err = ku_parse_json_body(p, body, len, &value);
        is_array = value && json_object_is_type(value, json_type_array);
        json_object_put(value);
    }
    if (err)
        return err;
    if (!is_array)
        return "JSON body is not an array";
    push_array_elements(body, len, records);
    return NULL;
}

ku_enc_status_t ku_split_body(apr_pool_t *p, const char *body, apr_size_t len,
                              ku_split_t mode, apr_array_header_t **records,
                              const char **error)
{
    const char *err;

    *records = apr_array_make(p, 16, sizeof(ku_slice_t));
    if (mode == KU_SPLIT_NONE) {
        push_slice(*records, body, len);
        return KU_ENC_OK;
    }
    if (is_blank(body, len))
        err = "no records in the body";
    else if (mode == KU_SPLIT_NDJSON)
        err = split_ndjson(p, body, len, *records);
    else
        err = split_json_array(p, body, len, *records);
    if (!err && (*records)->nelts == 0)
        err = "no records in the body";
    if (err) {
        if (error)
            *error = err;
        return KU_ENC_BAD_BODY;
    }
    return KU_ENC_OK;
}
