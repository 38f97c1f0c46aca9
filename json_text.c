/* SPDX-License-Identifier: Apache-2.0 */
/* json_text.c: JSON bodies read as text, without json-c.
 *
 * Parsing a body into a json-c tree only to print it again costs a
 * malloc per value; most bodies are compact JSON that json-c would print
 * byte for byte as they came. ku_json_compact recognises those (and the
 * same with whitespace) in one pass, and says "ask json-c" for anything it
 * is not sure of. t/unit/test_encoder.c compares both ways. */
#include "json_text.h"

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

/* -------------------------------------------------------- lexical check
 *
 * json-c's strict mode still accepts a few things RFC 8259 does not
 * (single quotes, NaN/Infinity, "1.", raw control characters in strings) and
 * echoes some back verbatim, so a lexical pass rejects them first; json-c
 * then checks the structure. */

static apr_size_t digits_len(const char *s, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len && apr_isdigit(s[i]))
        i++;
    return i;
}

/* Length of the JSON number at s, or 0 when it is not one. */
static apr_size_t json_number_len(const char *s, apr_size_t len)
{
    apr_size_t i = (s[0] == '-'), n;

    if ((n = digits_len(s + i, len - i)) == 0 || (n > 1 && s[i] == '0'))
        return 0;
    i += n;
    if (i < len && s[i] == '.') {
        if ((n = digits_len(s + i + 1, len - i - 1)) == 0)
            return 0;
        i += n + 1;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((n = digits_len(s + i, len - i)) == 0)
            return 0;
        i += n;
    }
    return i;
}

/* Length of the JSON string at s (starting at its quote), or 0. */
static apr_size_t json_string_lexeme_len(const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 1; i < len; i++) {
        if ((unsigned char)s[i] < 0x20)
            return 0;
        if (s[i] == '"')
            return i + 1;
        if (s[i] == '\\')
            i++; /* json-c validates the escape itself */
    }
    return 0;
}

static apr_size_t json_literal_len(const char *s, apr_size_t len)
{
    if (len >= 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0))
        return 4;
    return len >= 5 && memcmp(s, "false", 5) == 0 ? 5 : 0;
}

/* Also counts the nesting (brackets inside strings are skipped with the
 * strings): json-c's own depth limit counts the innermost value as a level,
 * so "[[1]]" and "[[]]" would not get the same limit. */
int ku_json_lexically_valid(const char *s, apr_size_t len, int *too_deep)
{
    apr_size_t i = 0, n;
    int depth = 0;

    *too_deep = 0;
    while (i < len) {
        if ((s[i] == '[' || s[i] == '{') && ++depth > KU_MAX_JSON_DEPTH) {
            *too_deep = 1;
            return 0;
        }
        if (s[i] == ']' || s[i] == '}')
            depth--;
        if (strchr(" \t\r\n{}[],:", s[i])) /* s has no NULs here */
            n = 1;
        else if (s[i] == '"')
            n = json_string_lexeme_len(s + i, len - i);
        else if (s[i] == '-' || apr_isdigit(s[i]))
            n = json_number_len(s + i, len - i);
        else
            n = json_literal_len(s + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* ------------------------------------------------------- compact text */

/* Members per object whose names are checked for repeats; an object with
 * more goes to json-c. */
#define KU_COMPACT_MAX_MEMBERS 32

typedef struct {
    const char *s;
    apr_size_t len, pos;
    apr_size_t spaces;  /* whitespace seen between tokens */
    int depth;
} scan_t;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_spaces(scan_t *sc)
{
    while (sc->pos < sc->len && is_space(sc->s[sc->pos])) {
        sc->pos++;
        sc->spaces++;
    }
}

static int at(const scan_t *sc, char c)
{
    return sc->pos < sc->len && sc->s[sc->pos] == c;
}

/* A string without escapes (json-c prints those its own way) or control
 * characters (invalid); *name and *name_len its content. */
static int scan_string(scan_t *sc, const char **name, apr_size_t *name_len)
{
    apr_size_t i;

    for (i = sc->pos + 1; i < sc->len; i++) {
        unsigned char c = (unsigned char)sc->s[i];

        if (c == '"') {
            *name = sc->s + sc->pos + 1;
            *name_len = i - sc->pos - 1;
            sc->pos = i + 1;
            return 1;
        }
        if (c == '\\' || c < 0x20)
            return 0;
    }
    return 0;
}

/* json-c keeps a double's text, but prints an integer from its int64:
 * "-0" becomes "0"; 18 digits always fit. */
static int scan_number(scan_t *sc)
{
    const char *s = sc->s + sc->pos;
    apr_size_t n = json_number_len(s, sc->len - sc->pos), digits = n - (s[0] == '-');

    if (n == 0)
        return 0;
    if (!memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n)
        && (digits > 18 || (s[0] == '-' && s[1] == '0')))
        return 0;
    sc->pos += n;
    return 1;
}

static int scan_value(scan_t *sc);

/* Whether the name was seen before in this object (json-c would keep one
 * member with the last value). */
static int name_repeated(const char *const *names, const apr_size_t *lens, int n,
                         const char *name, apr_size_t len)
{
    int i;

    for (i = 0; i < n; i++)
        if (lens[i] == len && !memcmp(names[i], name, len))
            return 1;
    return 0;
}

static int scan_object(scan_t *sc)
{
    const char *names[KU_COMPACT_MAX_MEMBERS];
    apr_size_t lens[KU_COMPACT_MAX_MEMBERS];
    int n = 0;

    sc->pos++;
    skip_spaces(sc);
    if (at(sc, '}')) {
        sc->pos++;
        return 1;
    }
    for (;;) {
        if (n == KU_COMPACT_MAX_MEMBERS || !at(sc, '"')
            || !scan_string(sc, &names[n], &lens[n])
            || name_repeated(names, lens, n, names[n], lens[n]))
            return 0;
        n++;
        skip_spaces(sc);
        if (!at(sc, ':'))
            return 0;
        sc->pos++;
        if (!scan_value(sc))
            return 0;
        skip_spaces(sc);
        if (at(sc, '}')) {
            sc->pos++;
            return 1;
        }
        if (!at(sc, ','))
            return 0;
        sc->pos++;
        skip_spaces(sc);
    }
}

static int scan_array(scan_t *sc)
{
    sc->pos++;
    skip_spaces(sc);
    if (at(sc, ']')) {
        sc->pos++;
        return 1;
    }
    for (;;) {
        if (!scan_value(sc))
            return 0;
        skip_spaces(sc);
        if (at(sc, ']')) {
            sc->pos++;
            return 1;
        }
        if (!at(sc, ','))
            return 0;
        sc->pos++;
    }
}

/* One value, with the whitespace before it. */
static int scan_value(scan_t *sc)
{
    const char *name;
    apr_size_t n;
    int ok;

    skip_spaces(sc);
    if (sc->pos >= sc->len)
        return 0;
    switch (sc->s[sc->pos]) {
    case '{':
    case '[':
        if (++sc->depth > KU_MAX_JSON_DEPTH)
            return 0;
        ok = sc->s[sc->pos] == '{' ? scan_object(sc) : scan_array(sc);
        sc->depth--;
        return ok;
    case '"':
        return scan_string(sc, &name, &n);
    case 't':
    case 'f':
    case 'n':
        if (!(n = json_literal_len(sc->s + sc->pos, sc->len - sc->pos)))
            return 0;
        sc->pos += n;
        return 1;
    default:
        return scan_number(sc);
    }
}

/* The text without the whitespace between tokens (strings have none to
 * lose: raw control characters were refused). */
static const char *without_spaces(apr_pool_t *p, const char *s, apr_size_t len,
                                  apr_size_t *out_len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    apr_size_t i;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '"')
            in_string = !in_string; /* no escapes: every quote toggles */
        else if (!in_string && is_space(s[i]))
            continue;
        *o++ = s[i];
    }
    *o = '\0';
    *out_len = (apr_size_t)(o - out);
    return out;
}

int ku_json_compact(apr_pool_t *p, const char *s, apr_size_t len,
                    const char **out, apr_size_t *out_len)
{
    scan_t sc = { s, len, 0, 0, 0 };

    skip_spaces(&sc);
    /* json-c gives no value for the literal null: the caller's own case. */
    if (at(&sc, 'n') || !scan_value(&sc))
        return 0;
    skip_spaces(&sc);
    if (sc.pos != len)
        return 0;
    if (!sc.spaces) {
        *out = s;
        *out_len = len;
    }
    else
        *out = without_spaces(p, s, len, out_len);
    return 1;
}
