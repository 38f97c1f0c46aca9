/* SPDX-License-Identifier: Apache-2.0 */
/* mod_ku_test_hooks.c: a test-only httpd module, never installed nor
 * packaged. Built by `./configure --enable-test-hooks` (t/run-tests.sh does)
 * as t/modules/.libs/mod_ku_test_hooks.so; t/conf/extra.conf.in loads it
 * after mod_kafka_upstream when it exists, and t/41_fatal.t skips without it.
 *
 * It calls the module's own non-static functions: httpd loads modules with
 * RTLD_GLOBAL, so mod_kafka_upstream.so's symbols resolve here. */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "apr_allocator.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include <librdkafka/rdkafka.h>

#include "mod_kafka_upstream.h"
#include "answer.h"
#include "conf.h"
#include "producer.h"

static int answer(request_rec *r, int status, const char *body)
{
    r->status = status;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    ap_rputs(body, r);
    return OK;
}

/* `SetHandler kafka-upstream-test-fatal` makes librdkafka raise a fatal
 * error on this location's producer (no real broker can be made to) and
 * sends one record through it. The answer is a 200, so that the connection
 * stays in this child, saying what that send came to:
 * {"status":503,"error":"producer unusable"}. */
static int test_fatal_handler(request_rec *r)
{
    const ku_dir_conf_t *conf;
    ku_producer_t *kp;
    ku_record_t rec = { 0 };
    ku_answer_t said;
    const char *error = NULL;

    if (!r->handler || strcmp(r->handler, "kafka-upstream-test-fatal"))
        return DECLINED;
    conf = ap_get_module_config(r->per_dir_config, &kafka_upstream_module);
    if (!ku_conf_is_complete(conf) || !(kp = ku_producer_for(r->pool, conf, r->server, &error)))
        return answer(r, HTTP_INTERNAL_SERVER_ERROR, "{\"error\":\"no producer\"}");
    rd_kafka_test_fatal_error(ku_producer_handle(kp),
                              RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "raised by the test hook");
    rec.topic = ku_conf_str(conf, KU_STR_TOPIC);
    rec.value = "sent after the fatal error";
    rec.len = strlen(rec.value);
    ku_producer_send(kp, &rec, 1, 1, ku_conf_num(conf, KU_NUM_DELIVERY_TIMEOUT), r->pool);
    said = ku_answer_of(&rec.result);
    return answer(r, HTTP_OK, apr_psprintf(r->pool, "{\"status\":%d,\"error\":\"%s\"}",
                                           said.status, said.error ? said.error : ""));
}

static apr_pool_t *child_pool;

static void keep_child_pool(apr_pool_t *pchild, server_rec *s)
{
    child_pool = pchild;
}

/* Every answer names the child that served it (X-Ku-Test-Pid, kept on
 * error answers too), so that a test can read that child's memory in
 * /proc whatever the MPM (t/24_bounds.t), and says whether that child's
 * pool allocator has a mutex (X-Ku-Test-Child-Allocator: locked or
 * unlocked): the module's threads allocate from it (t/41_fatal.t). */
static int name_the_child(request_rec *r)
{
    apr_allocator_t *a = child_pool ? apr_pool_allocator_get(child_pool) : NULL;

    apr_table_setn(r->err_headers_out, "X-Ku-Test-Pid", apr_itoa(r->pool, (int)getpid()));
    apr_table_setn(r->err_headers_out, "X-Ku-Test-Child-Allocator",
                   a && apr_allocator_mutex_get(a) ? "locked" : "unlocked");
    return DECLINED;
}

/* `X-Ku-Test-Answer-Delay: ms` holds the answer back that long before any
 * other output filter sees it: a request stays in flight while its record
 * is already produced (t/29_idempotency.t: duplicates meet it in flight; a
 * client that closed its connection retries). */
static apr_status_t answer_delay_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    if (f->ctx) {
        apr_sleep(apr_time_from_msec(*(int *)f->ctx));
        f->ctx = NULL;
    }
    return ap_pass_brigade(f->next, bb);
}

static void insert_answer_delay(request_rec *r)
{
    const char *ms = apr_table_get(r->headers_in, "X-Ku-Test-Answer-Delay");
    int *delay;

    if (!ms)
        return;
    delay = apr_palloc(r->pool, sizeof(*delay));
    *delay = atoi(ms);
    ap_add_output_filter("KU_TEST_ANSWER_DELAY", delay, r, r->connection);
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_handler(test_fatal_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(keep_child_pool, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(name_the_child, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(insert_answer_delay, NULL, NULL, APR_HOOK_MIDDLE);
    /* Before every resource filter, the module's answer-keeping one too. */
    ap_register_output_filter("KU_TEST_ANSWER_DELAY", answer_delay_filter, NULL,
                              AP_FTYPE_RESOURCE - 1);
}

module AP_MODULE_DECLARE_DATA ku_test_hooks_module = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    register_hooks
};
