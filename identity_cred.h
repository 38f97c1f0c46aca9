/* SPDX-License-Identifier: Apache-2.0 */
/* identity_cred.h: the caller's credentials as the request's Authorization
 * header gives them, and the key of the producer that logs in with them
 * (README "Identity passthrough"). httpd-free: in libku_core. */
#ifndef KU_IDENTITY_CRED_H
#define KU_IDENTITY_CRED_H

#include <stdint.h>
#include "apr_pools.h"

typedef enum { KU_CRED_BASIC, KU_CRED_BEARER } ku_cred_kind_t;

#define KU_CRED_KEY_LEN 32 /* SHA-256 */

typedef struct {
    ku_cred_kind_t kind;
    const char *user;       /* Basic: the user; Bearer: the token's sub, as a name only */
    const char *password;   /* Basic only */
    const char *token;      /* Bearer only: the JWT as sent */
    int64_t expires_ms;     /* Bearer only: its exp, ms since the epoch */
} ku_cred_t;

/* Reads an Authorization header value of the kind wanted. Returns NULL
 * and fills *cred, or says what is wrong (no secret in the text). A
 * Bearer token must be a JWT with a string sub and a numeric exp: the
 * broker checks its signature, not this. */
const char *ku_cred_parse(apr_pool_t *p, const char *header, ku_cred_kind_t kind,
                          ku_cred_t *cred);

/* SHA-256 over the producer settings' identity, the mechanism and the
 * credential itself (Bearer: the whole token; Basic: user NUL password),
 * each length-prefixed: never a claim alone. */
void ku_cred_key(const char *settings, const char *mechanism, const ku_cred_t *cred,
                 unsigned char key[KU_CRED_KEY_LEN]);

/* Overwrites a secret (OPENSSL_cleanse: not optimised away). */
void ku_cred_wipe(void *secret, size_t len);

#endif
