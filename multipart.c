/* SPDX-License-Identifier: Apache-2.0 */
/* multipart.c: multipart/form-data bodies (RFC 7578) parsed into
 * body_args, and the header parameter syntax (RFC 7231 §3.1.1.1) they and
 * Content-Type share. Plain C on APR pools and json-c, no httpd. */
#include "json_args.h"
#include "multipart.h"
#include "utf8.h"

#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>

/* Longest boundary RFC 2046 allows. */
#define KU_MAX_BOUNDARY 70

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
const char *ku_header_main_value(apr_pool_t *p, const char *value)
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
    if (!ku_utf8_cstr_valid(part->name) || !ku_utf8_cstr_valid(part->filename)
        || !ku_utf8_cstr_valid(part->content_type))
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

    if (ku_utf8_valid(part->data, part->data_len))
        return ku_json_string_len(part->data, part->data_len);
    obj = json_object_new_object();
    if (part->filename)
        json_object_object_add(obj, "filename", json_object_new_string(part->filename));
    if (part->content_type)
        json_object_object_add(obj, "content_type",
                               json_object_new_string(part->content_type));
    json_object_object_add(obj, "content_base64",
                           ku_base64_json(p, part->data, part->data_len));
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
        ku_args_add(args, part.name, mp_part_value(p, &part));
    }
}

apr_size_t ku_multipart_delimiters(apr_pool_t *p, const char *content_type,
                                   const char *body, apr_size_t len, apr_size_t max)
{
    const char *boundary = header_param(p, content_type, "boundary");
    apr_ssize_t at;
    apr_size_t n = 0;
    mp_body_t mp;

    if (!boundary)
        return 0;
    mp.buf = body;
    mp.len = len;
    mp.delim = apr_pstrcat(p, "--", boundary, NULL);
    mp.delim_len = strlen(mp.delim);
    for (at = mp_find_delim(&mp, 0); at >= 0 && n <= max;
         at = mp_find_delim(&mp, (apr_size_t)at + mp.delim_len))
        n++;
    return n;
}

const char *ku_parse_multipart(apr_pool_t *p, const char *content_type,
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
