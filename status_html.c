/* SPDX-License-Identifier: Apache-2.0 */
/* status_html.c: the status page for people (README "Status page"):
 * `?format=html`, or a browser's default. The JSON view's object drawn as
 * tables, readable without JavaScript; a small script (status_page.js)
 * then polls the JSON view every second, keeps the numbers current and
 * draws charts of the last minutes as inline SVG. The Content-Security-
 * Policy allows only this page's own script and style, by a nonce fresh
 * for each answer, and fetches to its own origin. */
#include <string.h>

#include "apr_base64.h"
#include "apr_strings.h"
#include "httpd.h"
#include "http_protocol.h"
#include "util_filter.h"
#include <json-c/json.h>

#include "status_page.h"
#include "status_page_assets.h"

#define KU_PRINT(...) apr_brigade_printf(bb, NULL, NULL, __VA_ARGS__)

/* The charts: element id suffix and caption (status_page.js draws them). */
static const char *const ku_charts[][2] = {
    { "requests", "Messages in (accepted + rejected) /s" },
    { "delivered", "Delivered /s" },
    { "rejected", "Rejected /s" },
    { "latency", "Delivery latency ms, p50 (blue) and p99 (red)" },
    { "queue", "Queue depth (messages)" },
    { "spool", "Spool backlog (records waiting)" },
};

/* A value as the script shows it: "-" when absent, three decimals for a
 * fraction, a whole number as an integer, strings unquoted. */
static const char *shown(apr_pool_t *p, json_object *v)
{
    switch (v ? json_object_get_type(v) : json_type_null) {
    case json_type_null:
        return "-";
    case json_type_double: {
        double d = json_object_get_double(v);

        if (d > -1e15 && d < 1e15 && (double)(apr_int64_t)d == d)
            return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)d);
        return apr_psprintf(p, "%.3f", d);
    }
    case json_type_int:
        return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_object_get_int64(v));
    default:
        return ap_escape_html(p, json_object_get_string(v));
    }
}

/* A table cell for the value at path (a JSON array, see status_page.js):
 * the script writes each poll's value there. */
static void cell(apr_bucket_brigade *bb, apr_pool_t *p, json_object *value, const char *path)
{
    KU_PRINT("<td class=\"num\" data-path=\"%s\">%s</td>", ap_escape_html(p, path),
             shown(p, value));
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;

    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A JSON string literal of s (for a path). */
static const char *quoted(apr_pool_t *p, const char *s)
{
    json_object *o = json_object_new_string(s);
    const char *q = apr_pstrdup(p, json_object_to_json_string_ext(
                        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

    json_object_put(o);
    return q;
}

/* A row of one header and one cell per key of o, under the path prefix. */
static void key_rows(apr_bucket_brigade *bb, apr_pool_t *p, json_object *o,
                     const char *prefix, const char *const *keys)
{
    int k;

    for (k = 0; keys[k]; k++) {
        KU_PRINT("<tr><th>%s</th>", ap_escape_html(p, keys[k]));
        cell(bb, p, get(o, keys[k]), apr_psprintf(p, "[%s%s]", prefix, quoted(p, keys[k])));
        KU_PRINT("</tr>");
    }
}

static void broker_rows(apr_bucket_brigade *bb, apr_pool_t *p, json_object *producer, int i)
{
    json_object *brokers = get(producer, "brokers");
    size_t b, nb = brokers ? json_object_array_length(brokers) : 0;

    KU_PRINT("<table><caption>Brokers (children per connection state)</caption>"
             "<thead><tr><th>broker</th><th>state</th><th>children</th></tr></thead>"
             "<tbody data-brokers=\"%d\">", i);
    for (b = 0; b < nb; b++) {
        json_object *broker = json_object_array_get_idx(brokers, b);
        const char *name = json_object_get_string(get(broker, "name"));

        json_object_object_foreach(get(broker, "states"), state, count) {
            KU_PRINT("<tr><td>%s</td><td>%s</td>", ap_escape_html(p, name),
                     ap_escape_html(p, state));
            cell(bb, p, count, apr_psprintf(p, "[\"producers\",%d,\"brokers\",{\"name\":%s},"
                                            "\"states\",%s]", i, quoted(p, name), quoted(p, state)));
            KU_PRINT("</tr>");
        }
    }
    KU_PRINT("</tbody></table>");
}

static void producer_section(apr_bucket_brigade *bb, apr_pool_t *p, json_object *producer, int i)
{
    static const char *const messages[] = { "accepted", "delivered", "failed", "queue_depth", NULL };
    static const char *const latency[] = { "p50", "p99", "count", "sum", NULL };
    const char *prefix = apr_psprintf(p, "\"producers\",%d,", i);
    static const char *const apis[] = { "kong", "rest-v2", "rest-v3", NULL };
    json_object *rejected = get(producer, "rejected");
    const char **reasons = apr_pcalloc(p, (json_object_object_length(rejected) + 1) * sizeof(*reasons));
    int r = 0;

    KU_PRINT("<section class=\"producer\"><h2>%s</h2><p class=\"note\">server %s</p>",
             ap_escape_html(p, json_object_get_string(get(producer, "name"))),
             ap_escape_html(p, json_object_get_string(get(producer, "server"))));
    KU_PRINT("<table><caption>Messages</caption>");
    key_rows(bb, p, producer, prefix, messages);
    KU_PRINT("</table><table><caption>Requests, by API</caption>");
    key_rows(bb, p, get(producer, "requests"), apr_pstrcat(p, prefix, "\"requests\",", NULL),
             apis);
    KU_PRINT("</table><table><caption>Rejected, by reason</caption>");
    json_object_object_foreach(rejected, reason, count) {
        (void)count;
        reasons[r++] = reason;
    }
    key_rows(bb, p, rejected, apr_pstrcat(p, prefix, "\"rejected\",", NULL), reasons);
    KU_PRINT("</table><table><caption>Delivery latency (ms)</caption>");
    key_rows(bb, p, get(producer, "latency_ms"), apr_pstrcat(p, prefix, "\"latency_ms\",", NULL),
             latency);
    KU_PRINT("</table>");
    broker_rows(bb, p, producer, i);
    KU_PRINT("</section>");
}

static void spool_section(apr_bucket_brigade *bb, apr_pool_t *p, json_object *spool)
{
    static const char *const keys[] = { "records_waiting", "oldest_waiting_seconds", "bytes",
                                        "max_bytes", "replayed", "dead_lettered",
                                        "torn_skipped", NULL };

    KU_PRINT("<section><h2>Spool</h2><p class=\"note\">directory %s</p>"
             "<table><caption>Spool</caption>",
             ap_escape_html(p, json_object_get_string(get(spool, "directory"))));
    key_rows(bb, p, spool, "\"spool\",", keys);
    KU_PRINT("</table></section>");
}

static void charts(apr_bucket_brigade *bb)
{
    size_t c;

    KU_PRINT("<h2>Last five minutes</h2><p id=\"polled\" class=\"note\">The numbers are "
             "those of this page's answer; with JavaScript the page follows the JSON view "
             "every second and draws these charts.</p><div id=\"charts\">");
    for (c = 0; c < sizeof(ku_charts) / sizeof(ku_charts[0]); c++)
        KU_PRINT("<figure><figcaption>%s</figcaption><svg id=\"chart-%s\" "
                 "viewBox=\"0 0 300 100\" preserveAspectRatio=\"none\" role=\"img\" "
                 "aria-label=\"%s\"></svg></figure>", ku_charts[c][1], ku_charts[c][0],
                 ku_charts[c][1]);
    KU_PRINT("</div>");
}

/* A fresh nonce (base64 of 16 random bytes); NULL if none can be had. */
static const char *nonce(apr_pool_t *p)
{
    unsigned char raw[16];
    char *out = apr_palloc(p, apr_base64_encode_len(sizeof(raw)));

    if (apr_generate_random_bytes(raw, sizeof(raw)) != APR_SUCCESS)
        return NULL;
    apr_base64_encode(out, (const char *)raw, sizeof(raw));
    return out;
}

void ku_status_html(request_rec *r, apr_bucket_brigade *bb, json_object *page)
{
    static const char *const server[] = { "mod_kafka_upstream", "librdkafka",
                                          "librdkafka_linkage", "pid", "processes", "since",
                                          "misconfigured_requests", NULL };
    apr_pool_t *p = r->pool;
    const char *n = nonce(p);
    json_object *producers = get(page, "producers"), *spool = get(page, "spool");
    size_t i;

    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    /* Without a nonce the page still shows its tables; no script runs. */
    apr_table_setn(r->headers_out, "Content-Security-Policy", apr_pstrcat(p,
                   "default-src 'none'; script-src 'nonce-", n ? n : "none", "'; style-src 'nonce-",
                   n ? n : "none", "'; connect-src 'self'; img-src 'none'; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'none'", NULL));
    KU_PRINT("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width\">"
             "<title>mod_kafka_upstream status</title><style nonce=\"%s\">\n%s</style></head>"
             "<body><h1>mod_kafka_upstream status</h1><table><caption>Server</caption>",
             n ? n : "", ku_status_css);
    key_rows(bb, p, page, "", server);
    KU_PRINT("</table>");
    charts(bb);
    for (i = 0; producers && i < json_object_array_length(producers); i++)
        producer_section(bb, p, json_object_array_get_idx(producers, i), (int)i);
    if (spool)
        spool_section(bb, p, spool);
    if (n)
        KU_PRINT("<script nonce=\"%s\">\n%s</script>", n, ku_status_js);
    KU_PRINT("</body></html>\n");
}
