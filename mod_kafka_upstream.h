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

#endif
