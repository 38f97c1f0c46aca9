/* SPDX-License-Identifier: Apache-2.0 */
/* results.c: the multi-record answer, streamed (see results.h). Each piece
 * goes through ap_rwrite, whose buffer passes it down the output filters
 * every few kilobytes: nothing grows with the number of records. */
#include <string.h>

#include "http_protocol.h"

#include "results.h"

/* A JSON string as json-c writes it (JSON_C_TO_STRING_NOSLASHESCAPE): the
 * short escapes by name, other control bytes as \u00XX. */
static void put_json_chars(request_rec *r, const char *s)
{
    static const char named[] = "\b\f\n\r\t\"\\", names[] = "bfnrt\"\\";
    const char *run = s;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *e;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ap_rwrite(run, (int)(s - run), r);
        if ((e = strchr(named, c)))
            ap_rprintf(r, "\\%c", names[e - named]);
        else
            ap_rprintf(r, "\\u%04x", c);
        run = s + 1;
    }
    ap_rwrite(run, (int)(s - run), r);
}

static void put_json_string(request_rec *r, const char *s)
{
    ap_rputc('"', r);
    put_json_chars(r, s);
    ap_rputc('"', r);
}

/* {"topic","status"} and the error, or (sync) what is known of the delivery:
 * a partition or offset librdkafka did not report is left out. */
static void put_result(request_rec *r, int error_detail, const ku_record_t *rec,
                       const ku_answer_t *a, int sync)
{
    ap_rputs("{\"topic\":", r);
    put_json_string(r, rec->topic);
    ap_rprintf(r, ",\"status\":%d", a->status);
    if (a->status != HTTP_OK) {
        ap_rputs(",\"error\":\"", r);
        put_json_chars(r, a->error);
        if (error_detail && a->kafka_error) { /* "error: librdkafka's words" */
            ap_rputs(": ", r);
            put_json_chars(r, a->kafka_error);
        }
        ap_rputc('"', r);
    }
    else if (sync) {
        if (rec->result.partition >= 0)
            ap_rprintf(r, ",\"partition\":%d", (int)rec->result.partition);
        if (rec->result.offset >= 0)
            ap_rprintf(r, ",\"offset\":%" APR_INT64_T_FMT, (apr_int64_t)rec->result.offset);
    }
    ap_rputc('}', r);
}

int ku_results_respond(request_rec *r, const ku_dir_conf_t *conf, int status,
                       const ku_record_t *records, const ku_answer_t *answers, int n,
                       int sync)
{
    int error_detail = ku_conf_flag(conf, KU_FLAG_ERROR_DETAIL), i;

    r->status = status;
    ap_set_content_type(r, "application/json");
    if (r->header_only)
        return OK;
    ap_rputs(status == HTTP_OK ? "{\"message\":\"message sent\",\"results\":["
                               : "{\"message\":\"Multi-Status\",\"results\":[", r);
    for (i = 0; i < n; i++) {
        if (i)
            ap_rputc(',', r);
        put_result(r, error_detail, &records[i], &answers[i], sync);
    }
    ap_rputs("]}", r);
    return OK;
}
