/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cloudevents.c - libFuzzer target for cloudevents.c and
 * trace_context.c: the CloudEvents a request carries, and its traceparent
 * (README "CloudEvents", "Trace context").
 *
 * The first byte picks the mode: 's' a structured body, 'b' a batch, any
 * other: header lines "name: value" up to the first empty line, then the
 * body (binary mode). The input up to its first newline is also taken as
 * a traceparent.
 * Invariants, whenever an event is accepted: specversion is "1.0"; id,
 * source and type are there and not empty; a time is RFC 3339 (as a
 * reference check written from RFC 3339 section 5.6 here); every attribute
 * name is lower-case letters and digits; an accepted traceparent is 55
 * bytes of lower-case hex and '-' in the right places (version 00) or longer
 * only for a later version; a made one is accepted.
 */
#include "fuzz_common.h"
#include "cloudevents.h"
#include "trace_context.h"

#include <ctype.h>
#include <apr_lib.h>

static const char *attr(const ku_ce_event_t *ev, const char *name)
{
    int i;

    for (i = 0; i < ev->attrs->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(ev->attrs, i, ku_ce_attr_t).name, name))
            return APR_ARRAY_IDX(ev->attrs, i, ku_ce_attr_t).value;
    return NULL;
}

/* RFC 3339 date-time, shape only: the digits, separators and zone. */
static int ref_time_shape(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;

    for (i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
            : shape[i] == 'T' ? (s[i] != 'T' && s[i] != 't') : s[i] != shape[i])
            return 0;
    }
    s += i;
    if (*s == '.') {
        if (!isdigit((unsigned char)*++s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'Z' || *s == 'z')
        return !s[1];
    return (*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])
           && s[3] == ':' && isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) && !s[6];
}

static void check_event(const ku_ce_event_t *ev)
{
    const char *t;
    int i;

    FZ_CHECK(attr(ev, "specversion") && !strcmp(attr(ev, "specversion"), "1.0"),
             "specversion 1.0");
    FZ_CHECK(attr(ev, "id") && *attr(ev, "id"), "an id");
    FZ_CHECK(attr(ev, "source") && *attr(ev, "source"), "a source");
    FZ_CHECK(attr(ev, "type") && *attr(ev, "type"), "a type");
    FZ_CHECK(!(t = attr(ev, "time")) || ref_time_shape(t), "a time is RFC 3339");
    for (i = 0; i < ev->attrs->nelts; i++) {
        const char *c = APR_ARRAY_IDX(ev->attrs, i, ku_ce_attr_t).name;

        FZ_CHECK(*c, "a name is not empty");
        for (; *c; c++)
            FZ_CHECK(islower((unsigned char)*c) || isdigit((unsigned char)*c),
                     "a name is lower-case letters and digits");
    }
}

static void binary_mode(const char *s, size_t size)
{
    apr_table_t *headers = apr_table_make(fz_pool, 8);
    const char *line = s, *end = s + size, *error = NULL;
    ku_ce_event_t ev;

    while (line < end && *line != '\n') {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *colon = memchr(line, ':', (size_t)((nl ? nl : end) - line));

        if (colon && colon > line)
            apr_table_add(headers, apr_pstrmemdup(fz_pool, line, (size_t)(colon - line)),
                          apr_pstrmemdup(fz_pool, colon + 1,
                                         (size_t)((nl ? nl : end) - colon - 1)));
        line = nl ? nl + 1 : end;
    }
    if (line < end)
        line++;
    if (!ku_ce_from_binary(fz_pool, headers, apr_table_get(headers, "Content-Type"), line,
                           (apr_size_t)(end - line), &ev, &error))
        check_event(&ev);
    else
        FZ_CHECK(error && *error, "a refusal says why");
}

static void traceparent(const char *s, size_t size)
{
    const char *nl = memchr(s, '\n', size);
    char *tp = apr_pstrmemdup(fz_pool, s, nl ? (size_t)(nl - s) : size);
    size_t i, len = strlen(tp);

    if (!ku_traceparent_valid(tp))
        return;
    FZ_CHECK(len == 55 || (strncmp(tp, "00", 2) && tp[55] == '-'), "the length");
    for (i = 0; i < 55; i++)
        FZ_CHECK(i == 2 || i == 35 || i == 52 ? tp[i] == '-'
                 : (isdigit((unsigned char)tp[i]) || (tp[i] >= 'a' && tp[i] <= 'f')),
                 "lower-case hex between the dashes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_bytes(data, size);
    apr_array_header_t *events;
    const char *error = NULL;
    const char *made;
    int i;

    if (size > 0 && (s[0] == 's' || s[0] == 'b')) {
        if (!ku_ce_from_json(fz_pool, s + 1, size - 1, s[0] == 'b', 50, &events, &error))
            for (i = 0; i < events->nelts; i++)
                check_event(&APR_ARRAY_IDX(events, i, ku_ce_event_t));
    }
    else
        binary_mode(s, size);
    traceparent(s, size);
    made = ku_traceparent_new(fz_pool);
    FZ_CHECK(made && ku_traceparent_valid(made), "a made traceparent is valid");
    free(s);
    apr_pool_clear(fz_pool);
    return 0;
}
