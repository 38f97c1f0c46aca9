/* SPDX-License-Identifier: Apache-2.0 */
/* For the leak check of t/sanitize.sh: GET /ku-sanitize-memstats answers
 * the bytes the answering process has allocated with malloc right now, all
 * arenas and mmapped blocks included (glibc's mallinfo2: uordblks + hblkhd),
 * as one decimal number. Unlike the resident set size, this does not hide
 * a leak in memory that was freed earlier but stays mapped (a queue's
 * high-water mark), so a few dozen bytes per request add up to a figure
 * well above the noise. APR pools get their blocks from malloc too, so a
 * pool that grows with every request shows as well, once the allocator's
 * free list (MaxMemFree) is used up. Never loaded outside that check. */
#include <malloc.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

static int memstats_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "ku-sanitize-memstats"))
        return DECLINED;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    {
        struct mallinfo2 mi = mallinfo2();
        ap_set_content_type(r, "text/plain");
        ap_rprintf(r, "%" APR_SIZE_T_FMT "\n", (apr_size_t)(mi.uordblks + mi.hblkhd));
        return OK;
    }
#else
    return HTTP_NOT_IMPLEMENTED;
#endif
}

static void memstats_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(memstats_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA ku_sanitize_memstats_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, memstats_register_hooks
};
