/* SPDX-License-Identifier: Apache-2.0 */
/* bounds.c: the topic and form limits of one request (see bounds.h). */
#include <string.h>

#include "apr_strings.h"

#include "bounds.h"
#include "body_args.h"
#include "multipart.h"

int ku_bounds_topics(request_rec *r, const ku_dir_conf_t *conf,
                     const apr_array_header_t *topics, const char **error)
{
    int max = ku_conf_num(conf, KU_NUM_MAX_TOPICS);

    if (topics->nelts <= max)
        return OK;
    *error = apr_psprintf(r->pool, "too many topics: at most %d per request", max);
    return HTTP_BAD_REQUEST;
}

/* Pieces of an urlencoded body that make a field: those with a name
 * (body_args.c skips empty pieces and "=value"); no further than max + 1. */
static apr_size_t form_fields(const char *body, apr_size_t len, apr_size_t max)
{
    apr_size_t n = 0, start = 0;

    while (start < len && n <= max) {
        const char *amp = memchr(body + start, '&', len - start);
        apr_size_t end = amp ? (apr_size_t)(amp - body) : len;

        if (end > start && body[start] != '=')
            n++;
        start = end + 1;
    }
    return n;
}

/* Whether the encoder will parse this body into body_args. */
static int body_is_parsed(const ku_dir_conf_t *conf)
{
    return ku_conf_format(conf) == KU_FORMAT_ENVELOPE && ku_conf_flag(conf, KU_FLAG_FORWARD_BODY)
           && ku_conf_split(conf) == KU_SPLIT_NONE;
}

int ku_bounds_form(request_rec *r, const ku_dir_conf_t *conf, const char *body,
                   apr_size_t len, const char **error)
{
    apr_size_t max = (apr_size_t)ku_conf_num(conf, KU_NUM_MAX_FORM_FIELDS), n = 0;
    const char *content_type = apr_table_get(r->headers_in, "Content-Type");

    if (!body_is_parsed(conf))
        return OK;
    switch (ku_body_kind(r->pool, content_type)) {
    case KU_BODY_FORM:
        n = form_fields(body, len, max);
        break;
    case KU_BODY_MULTIPART: /* n parts have n + 1 delimiters */
        n = ku_multipart_delimiters(r->pool, content_type, body, len, max + 1);
        n = n ? n - 1 : 0;
        break;
    default:
        return OK;
    }
    if (n <= max)
        return OK;
    *error = apr_psprintf(r->pool, "too many form fields: at most %" APR_SIZE_T_FMT
                          " per request", max);
    return HTTP_REQUEST_ENTITY_TOO_LARGE;
}
