/* SPDX-License-Identifier: Apache-2.0 */
/* producer_own.c: a caller's own producers (README "Identity passthrough"):
 * made outside the registry, in a pool of their own, with the caller's
 * login or token; closed, wiped and freed by identity.c's pool. */
#include <stdlib.h>
#include <string.h>

#include "apr_atomic.h"
#include "apr_strings.h"
#include <openssl/crypto.h>

#include "conf_props.h"
#include "producer.h"
#include "producer_int.h"

ku_producer_t *ku_producer_make_own(apr_pool_t *rp, const ku_dir_conf_t *conf, server_rec *s,
                                    const apr_array_header_t *login,
                                    const ku_producer_bearer_t *bearer, const char **error)
{
    apr_pool_t *p;
    ku_producer_bearer_t *own = NULL;
    ku_producer_t *kp;
    const char *key = ku_conf_producer_key(rp, conf);
    const char *name;

    /* Its own allocator: made and destroyed by request threads, apart
     * from pchild's. */
    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
        *error = "out of memory";
        return NULL;
    }
    name = apr_psprintf(p, "%s as a caller", ku_conf_producer_name(p, conf));
    if (bearer && (own = calloc(1, sizeof(*own)))) {
        own->token = strdup(bearer->token);
        own->principal = strdup(bearer->principal);
        own->expires_ms = bearer->expires_ms;
    }
    if (bearer && (!own || !own->token || !own->principal)) {
        ku_producer_wipe_bearer(own);
        apr_pool_destroy(p);
        *error = "out of memory";
        return NULL;
    }
    if (!(kp = ku_producer_make_in(p, conf, key, name, s, login, own, error))) {
        *error = apr_pstrdup(rp, *error);
        ku_producer_wipe_bearer(own);
        apr_pool_destroy(p);
        return NULL;
    }
    kp->own_pool = p;
    return kp;
}

void ku_producer_wipe_bearer(ku_producer_bearer_t *b)
{
    if (!b)
        return;
    if (b->token) {
        OPENSSL_cleanse(b->token, strlen(b->token));
        free(b->token);
    }
    free(b->principal);
    free(b);
}

void ku_producer_close_own(ku_producer_t *kp)
{
    apr_pool_t *p = kp->own_pool;
    ku_producer_bearer_t *bearer = kp->bearer;

    ku_producer_shut(kp);
    ku_producer_wipe_bearer(bearer);
    apr_pool_destroy(p);
}

int ku_producer_in_flight(ku_producer_t *kp)
{
    return apr_atomic_read32(&kp->in_queue) != 0;
}

const char *ku_producer_trouble(ku_producer_t *kp)
{
    return kp->broker_trouble;
}

int ku_producer_login_refused(ku_producer_t *kp)
{
    return kp->login_refused;
}
