/* SPDX-License-Identifier: Apache-2.0 */
/* trace_context_req.h: KafkaUpstreamTraceContext, and a request's
 * traceparent and tracestate as record headers (README "Trace context"). */
#ifndef KU_TRACE_CONTEXT_REQ_H
#define KU_TRACE_CONTEXT_REQ_H

#include "httpd.h"
#include "http_config.h"
#include "conf.h"

/* KafkaUpstreamTraceContext forward|generate|off */
const char *ku_trace_set_mode(cmd_parms *cmd, void *conf, const char *arg);

/* Makes the request's valid traceparent its log id and note "traceparent"
 * (any mode but off); under generate, gives a request without one a new
 * one: in its headers (so it is forwarded), its answer, its log id and
 * note. Call before anything of the request is logged. */
void ku_trace_prepare(request_rec *r, const ku_dir_conf_t *conf);

/* " (traceparent ...)" for the end of the request's error log lines, from
 * its note; "" for a request without one. */
const char *ku_trace_log_suffix(const request_rec *r);

/* Whether name is a trace context header this Location forwards itself,
 * whatever the header allow-list says (any but off). */
int ku_trace_owns_header(const ku_dir_conf_t *conf, const char *name);

/* Appends the request's traceparent and tracestate (ku_header_t) to out,
 * unless off or the traceparent is invalid: then neither is forwarded. */
void ku_trace_headers(request_rec *r, const ku_dir_conf_t *conf, apr_array_header_t *out);

#endif
