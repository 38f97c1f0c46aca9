/* SPDX-License-Identifier: Apache-2.0 */
/* mod_ku_null: the benchmark's ceiling (bench/run.sh). `SetHandler ku-null`
 * reads the request body the way mod_kafka_upstream does (a brigade loop
 * into one pool buffer) and answers 200 with the same JSON body, and does
 * nothing else. Like the module (no_fs_walk.c), it skips httpd's <Directory>
 * walk for its requests, so it stays an honest ceiling. Not part of the
 * module; built with apxs by bench/run.sh. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_core.h"
#include "http_request.h"
#include "ap_expr.h"
#include "util_filter.h"

module AP_MODULE_DECLARE_DATA ku_null_module;

static const char sent_body[] = "{\"message\":\"message sent\"}";

static int read_body(request_rec *r)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    char *buf = NULL;
    apr_size_t len = 0, cap = 0;
    int seen_eos = 0;

    do {
        apr_bucket *b;

        if (ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ,
                           HUGE_STRING_LEN) != APR_SUCCESS)
            return HTTP_BAD_REQUEST;
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b))
                continue;
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS)
                return HTTP_BAD_REQUEST;
            if (len + n + 1 > cap) {
                char *grown;

                cap = cap ? cap : 8192;
                while (cap < len + n + 1)
                    cap *= 2;
                grown = apr_palloc(r->pool, cap);
                if (len)
                    memcpy(grown, buf, len);
                buf = grown;
            }
            memcpy(buf + len, data, n);
            len += n;
        }
        apr_brigade_cleanup(bb);
    } while (!seen_eos);
    return OK;
}

static int ku_null_handler(request_rec *r)
{
    int status;

    if (!r->handler || strcmp(r->handler, "ku-null"))
        return DECLINED;
    if ((status = read_body(r)) != OK)
        return status;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, sizeof(sent_body) - 1);
    if (!r->header_only)
        ap_rwrite(sent_body, sizeof(sent_body) - 1, r);
    return OK;
}

/* As no_fs_walk.c: the <Location>'s SetHandler decides, before the walk. */
static int mark_null_requests(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *handler = d->handler;

    if (d->expr_handler)
        handler = ap_expr_str_exec(r, d->expr_handler, &err);
    if (!err && handler && !strcmp(handler, "ku-null"))
        ap_set_module_config(r->request_config, &ku_null_module, r);
    return DECLINED;
}

static int skip_storage_walk(request_rec *r)
{
    if (ap_get_module_config(r->request_config, &ku_null_module) != r)
        return DECLINED;
    r->finfo.filetype = APR_NOFILE;
    return OK;
}

static void ku_null_register_hooks(apr_pool_t *p)
{
    ap_hook_translate_name(mark_null_requests, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(skip_storage_walk, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(ku_null_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA ku_null_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, ku_null_register_hooks
};
