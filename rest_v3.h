/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3.h: a Location under `KafkaUpstreamAPI rest-v3` answers
 * Confluent's v3 produce routes below it, and the v2 routes beside them
 * (README "REST proxy dialects"). */
#ifndef KU_REST_V3_H
#define KU_REST_V3_H

#include "httpd.h"
#include "conf.h"

/* The whole request: a /v3 route here, any other path the v2 handler's. */
int ku_rest_v3_handle(request_rec *r, const ku_dir_conf_t *conf);

#endif
