/* SPDX-License-Identifier: Apache-2.0 */
/* The positive control of t/sanitize.sh: a deliberately broken httpd
 * module, built with the same sanitizer flags as mod_kafka_upstream and
 * loaded through the same apache2 wrapper. Each request below must leave a
 * sanitizer report file and a dead child behind; if one does not, the
 * wrapper (LD_PRELOAD, ASAN_OPTIONS/UBSAN_OPTIONS, log_path) is broken and
 * a clean suite run under it would prove nothing. Never loaded otherwise.
 *   GET /ku-sanitize-selftest/heap  reads one byte past a malloc'd block
 *                                   (AddressSanitizer)
 *   GET /ku-sanitize-selftest/ub    overflows a signed int (UBSan)
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

/* Out of line so that neither read can be folded away at compile time. */
int ku_selftest_read(const char *p, size_t i) __attribute__((noinline));
int ku_selftest_read(const char *p, size_t i)
{
    return p[i];
}

int ku_selftest_add(int a, int b) __attribute__((noinline));
int ku_selftest_add(int a, int b)
{
    return a + b;
}

static int selftest_handler(request_rec *r)
{
    volatile int sink = 0;

    if (!r->handler || strcmp(r->handler, "ku-sanitize-selftest"))
        return DECLINED;
    if (strstr(r->uri, "/heap")) {
        char *p = malloc(16);
        if (!p)
            return HTTP_INTERNAL_SERVER_ERROR;
        memset(p, 'x', 16);
        sink = ku_selftest_read(p, 16 + (r->args != NULL)); /* one past the end */
        free(p);
    }
    else if (strstr(r->uri, "/ub")) {
        sink = ku_selftest_add(INT_MAX, 1 + (r->args != NULL)); /* signed overflow */
    }
    else {
        return HTTP_NOT_FOUND;
    }
    /* Only reached if the sanitizer did not stop the child. */
    ap_set_content_type(r, "text/plain");
    ap_rprintf(r, "not detected (%d)\n", sink);
    return OK;
}

static void selftest_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(selftest_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA ku_sanitize_selftest_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, selftest_register_hooks
};
