/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v2.h: a Location under `KafkaUpstreamAPI rest-v2` answers the REST
 * proxies' v2 produce routes below it (README "REST proxy dialects"). */
#ifndef KU_REST_V2_H
#define KU_REST_V2_H

#include "httpd.h"
#include "conf.h"

/* The whole request: route, media types, body, produce, answer. */
int ku_rest_v2_handle(request_rec *r, const ku_dir_conf_t *conf);

#endif
