/* SPDX-License-Identifier: Apache-2.0 */
/* spool_status.h: the spool's figures for the status page (status_page.c);
 * nothing when no spool is configured. */
#ifndef KU_SPOOL_STATUS_H
#define KU_SPOOL_STATUS_H

#include "apr_buckets.h"
#include <json-c/json.h>

/* Adds a "spool" member to the status page's JSON object. */
void ku_spool_status_json(json_object *o);
/* Appends the kafka_upstream_spool_* metrics. */
void ku_spool_status_prometheus(apr_bucket_brigade *bb);

#endif
