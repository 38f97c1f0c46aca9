/* SPDX-License-Identifier: Apache-2.0 */
/* conf_props.h: the librdkafka producer a configuration asks for: its
 * properties, the key two configurations share a producer by, its name;
 * and which properties KafkaUpstreamProperty may not set. */
#ifndef KU_CONF_PROPS_H
#define KU_CONF_PROPS_H

#include "conf.h"

/* The librdkafka producer properties this conf asks for, in a fixed order. */
apr_array_header_t *ku_conf_producer_props(apr_pool_t *p, const ku_dir_conf_t *c);

/* A string that is equal for two confs exactly when they need the same
 * producer (same properties and shutdown timeout). */
const char *ku_conf_producer_key(apr_pool_t *p, const ku_dir_conf_t *c);

/* The producer's name in log lines and on the status page:
 * "<section> ([cluster ]<brokers>)", no secret. */
const char *ku_conf_producer_name(apr_pool_t *p, const ku_dir_conf_t *c);

/* Why KafkaUpstreamProperty may not set name (a directive does, or it
 * loads code), or NULL. */
const char *ku_prop_refusal(apr_pool_t *p, const char *name);

/* Whether a librdkafka property's value must never be shown. */
int ku_prop_is_secret(const char *name);

/* Whether the librdkafka in use can authenticate with a delegation token
 * (it knows sasl.scram.tokenauth: librdkafka/build.sh). */
int ku_librdkafka_has_tokenauth(void);

#endif
