/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KU_NO_FS_WALK_H
#define KU_NO_FS_WALK_H

#include "apr_pools.h"

/* Requests for our handlers skip httpd's <Directory>/<Files> walk (no_fs_walk.c). */
void ku_no_fs_walk_register_hooks(apr_pool_t *p);

#endif
