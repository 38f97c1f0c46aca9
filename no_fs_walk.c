/* SPDX-License-Identifier: Apache-2.0 */
/* No filesystem walk for our requests.
 *
 * A request for a `SetHandler kafka-upstream` (or kafka-upstream-status)
 * location names no file, yet httpd's core maps every request to storage:
 * the <Directory> walk stats each path element and, where AllowOverride
 * allows it, opens .htaccess files (5 stat + 4 open calls a request, seen
 * with strace), then the <Files> walk. Like mod_proxy does for proxied
 * requests, we answer map_to_storage ourselves for these requests; httpd
 * then re-runs the <Location> and <If> walks, so everything configured
 * there (Require, authentication, SetEnvIf, our directives) still applies.
 * <Directory>, <Files> and .htaccess do not apply to them.
 *
 * Whether a request is ours is decided from what the <Location>/<If> walk
 * that precedes translate_name found: core's SetHandler for it. A handler
 * set anywhere else (<Directory>, .htaccess, AddHandler) is only known
 * after the walk, so those requests keep it. */
#include <string.h>

#include "http_core.h"
#include "http_request.h"
#include "ap_expr.h"

#include "mod_kafka_upstream.h"
#include "no_fs_walk.h"

static int is_our_handler(const char *handler)
{
    return handler && (!strcmp(handler, "kafka-upstream")
                       || !strcmp(handler, "kafka-upstream-status"));
}

/* The handler SetHandler will give this request, as core's fixup computes
 * it; NULL when it cannot tell yet. */
static const char *location_handler(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *handler;

    if (!d->expr_handler)
        return d->handler;
    handler = ap_expr_str_exec(r, d->expr_handler, &err);
    return err ? NULL : handler;
}

/* Runs first, after the <Location> walk, and only takes a note: the URI is
 * still translated by whoever would (Alias, mod_rewrite, core). */
static int mark_our_requests(request_rec *r)
{
    if (is_our_handler(location_handler(r)))
        ap_set_module_config(r->request_config, &kafka_upstream_module, r);
    return DECLINED;
}

/* Before core's directory walk (which runs REALLY_LAST): OK ends the
 * mapping for the requests marked above. */
static int skip_storage_walk(request_rec *r)
{
    if (ap_get_module_config(r->request_config, &kafka_upstream_module) != r)
        return DECLINED;
    /* Nothing was stat()ed: say so, as core would for a missing file. */
    r->finfo.filetype = APR_NOFILE;
    return OK;
}

void ku_no_fs_walk_register_hooks(apr_pool_t *p)
{
    ap_hook_translate_name(mark_our_requests, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(skip_storage_walk, NULL, NULL, APR_HOOK_FIRST);
}
