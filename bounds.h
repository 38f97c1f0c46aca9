/* SPDX-License-Identifier: Apache-2.0 */
/* bounds.h: the limits on what one request may make (README "Limits"),
 * checked before anything is produced. The record and record header
 * limits are checked where those are made (request.c). */
#ifndef KU_BOUNDS_H
#define KU_BOUNDS_H

#include "httpd.h"
#include "conf.h"

/* OK, or 400 with *error when the request asks for more topics than
 * KafkaUpstreamMaxTopics. */
int ku_bounds_topics(request_rec *r, const ku_dir_conf_t *conf,
                     const apr_array_header_t *topics, const char **error);

/* OK, or 413 with *error when the body would be parsed into body_args of
 * more than KafkaUpstreamMaxFormFields parts (multipart) or fields
 * (urlencoded); counted without parsing them. */
int ku_bounds_form(request_rec *r, const ku_dir_conf_t *conf, const char *body,
                   apr_size_t len, const char **error);

#endif
