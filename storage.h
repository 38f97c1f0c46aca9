/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KU_STORAGE_H
#define KU_STORAGE_H

#include "apr_pools.h"

/* Requests for our handlers skip httpd's <Directory>/<Files> walk (storage.c). */
void ku_storage_register_hooks(apr_pool_t *p);

#endif
