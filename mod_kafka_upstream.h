/* SPDX-License-Identifier: Apache-2.0 */
/* mod_kafka_upstream.h: what the module's files share. */
#ifndef MOD_KAFKA_UPSTREAM_H
#define MOD_KAFKA_UPSTREAM_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

/* `LogLevel kafka_upstream:debug` works in every file. Every line at debug
 * level and above carries a tag KUnnnnn; the next free number is in
 * NEXT_LOG_TAG. */
APLOG_USE_MODULE(kafka_upstream);

extern module AP_MODULE_DECLARE_DATA kafka_upstream_module;

/* How librdkafka is linked: "bundled" (its static library inside the
 * module) or "shared"; for the status page and KU00060. */
extern const char ku_rdkafka_linkage[];

/* The request body, read through the input filters, up to limit bytes: OK
 * with *body ("" when there is none), 413 beyond the limit (a declared
 * length over it before anything is read), or the read's error status. */
int ku_read_body(request_rec *r, apr_off_t limit, const char **body, apr_size_t *len);

#endif
