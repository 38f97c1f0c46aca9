/* SPDX-License-Identifier: Apache-2.0 */
/* trace_context_req.c: W3C trace context carried into the records (README
 * "Trace context"); the format's rules are trace_context.c's. */
#include <string.h>

#include "apr_strings.h"

#include "producer.h"
#include "trace_context.h"
#include "trace_context_req.h"

static const char *const trace_words[] = { "forward", "generate", "off" };
enum { KU_TRACE_FORWARD, KU_TRACE_GENERATE, KU_TRACE_OFF };

const char *ku_trace_set_mode(cmd_parms *cmd, void *conf, const char *arg)
{
    int i;

    for (i = 0; i < 3; i++)
        if (!strcasecmp(arg, trace_words[i])) {
            ku_conf_set_choice(conf, KU_STR_TRACE_CONTEXT, trace_words[i], i);
            return NULL;
        }
    return apr_psprintf(cmd->pool, "%s: invalid value '%s': forward, generate or off is "
                        "allowed", cmd->cmd->name, arg);
}

static int trace_mode(const ku_dir_conf_t *conf)
{
    const char *word = ku_conf_str(conf, KU_STR_TRACE_CONTEXT);

    return !word ? KU_TRACE_FORWARD : !strcmp(word, "generate") ? KU_TRACE_GENERATE
         : !strcmp(word, "off") ? KU_TRACE_OFF : KU_TRACE_FORWARD;
}

int ku_trace_owns_header(const ku_dir_conf_t *conf, const char *name)
{
    return trace_mode(conf) != KU_TRACE_OFF
           && (!strcasecmp(name, "traceparent") || !strcasecmp(name, "tracestate"));
}

/* The one traceparent of the request: several (httpd joins them with a
 * comma) make it invalid. */
static const char *valid_traceparent(request_rec *r)
{
    const char *tp = apr_table_get(r->headers_in, "traceparent");

    return tp && ku_traceparent_valid(tp) ? tp : NULL;
}

/* The request's trace, as its log id and note, so that its error log lines
 * carry it (README "Trace context"). */
static void mark_trace(request_rec *r, const char *tp)
{
    apr_table_setn(r->notes, "traceparent", tp);
    r->log_id = tp;
}

void ku_trace_prepare(request_rec *r, const ku_dir_conf_t *conf)
{
    int mode = trace_mode(conf);
    const char *tp;

    if (mode == KU_TRACE_OFF)
        return;
    if ((tp = valid_traceparent(r))) {
        mark_trace(r, tp);
        return;
    }
    if (mode != KU_TRACE_GENERATE || !(tp = ku_traceparent_new(r->pool)))
        return;
    apr_table_setn(r->headers_in, "traceparent", tp);
    apr_table_unset(r->headers_in, "tracestate"); /* it belonged to no trace of ours */
    apr_table_setn(r->err_headers_out, "traceparent", tp);
    mark_trace(r, tp);
}

const char *ku_trace_log_suffix(const request_rec *r)
{
    const char *tp = apr_table_get(r->notes, "traceparent");

    return tp ? apr_pstrcat(r->pool, " (traceparent ", tp, ")", NULL) : "";
}

void ku_trace_headers(request_rec *r, const ku_dir_conf_t *conf, apr_array_header_t *out)
{
    const char *tp, *ts;
    ku_header_t *h;

    if (trace_mode(conf) == KU_TRACE_OFF || !(tp = valid_traceparent(r)))
        return;
    h = apr_array_push(out);
    h->name = "traceparent";
    h->value = tp;
    h->value_len = 0;
    if ((ts = apr_table_get(r->headers_in, "tracestate")) && *ts) {
        h = apr_array_push(out);
        h->name = "tracestate";
        h->value = ts;
        h->value_len = 0;
    }
}
