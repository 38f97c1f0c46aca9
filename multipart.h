/* SPDX-License-Identifier: Apache-2.0 */
/* multipart.h: multipart/form-data bodies parsed into body_args, and the
 * header parameter syntax they share with Content-Type. */
#ifndef KU_MULTIPART_H
#define KU_MULTIPART_H

#include <apr_pools.h>
#include <json-c/json.h>

/* The parts of a multipart/form-data body (boundary from content_type) as
 * an object: name -> value, or an object with filename, content_type and
 * content or content_base64 for file parts. NULL or an error detail. */
const char *ku_parse_multipart(apr_pool_t *p, const char *content_type,
                               const char *body, apr_size_t len,
                               json_object **args_out);

/* How many delimiter lines of its boundary the body has, counting no
 * further than max + 1: a body of n parts has n + 1 (the closing one), so
 * this bounds the parts ku_parse_multipart would make without making them. */
apr_size_t ku_multipart_delimiters(apr_pool_t *p, const char *content_type,
                                   const char *body, apr_size_t len, apr_size_t max);

/* The media type (or disposition type) of a header value: the part before
 * the first ';', trimmed. */
const char *ku_header_main_value(apr_pool_t *p, const char *value);

#endif
