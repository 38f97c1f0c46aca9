/* SPDX-License-Identifier: Apache-2.0 */
/* accept.h: whether an Accept header prefers HTML to JSON (README "Status
 * page"), for the status page's default view. */
#ifndef KU_ACCEPT_H
#define KU_ACCEPT_H

/* 1 when accept (NULL: no header) gives text/html a higher quality than
 * application/json, each taken from its most specific matching range
 * (type/subtype, then "type/" plus a star, then the star range; quality 1 when no q= is given,
 * unparseable q= is 0); else 0. A browser's header gives 1, curl's star range
 * and a client sending none 0. */
int ku_accept_prefers_html(const char *accept);

#endif
