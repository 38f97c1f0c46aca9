/* SPDX-License-Identifier: Apache-2.0 */
/* spool.h: the durable spool (KafkaUpstreamSpool): an accepted async
 * record is written to a per-child segment file before the 200, marked
 * done on Kafka's acknowledgement, re-sent after retriable failures and
 * adopted from children that exited or crashed (README "The spool"). */
#ifndef KU_SPOOL_H
#define KU_SPOOL_H

#include <stdint.h>
#include "httpd.h"
#include "http_config.h"
#include "conf.h"
#include "producer.h"

/* Directive handlers (rows in conf.c's ku_cmds): server config: directory
 * [max-size], Sync; per Location: On|Off. */
const char *ku_spool_cmd(cmd_parms *cmd, void *conf, const char *arg1, const char *arg2);
const char *ku_spool_sync_cmd(cmd_parms *cmd, void *conf, int on);

void ku_spool_register_hooks(apr_pool_t *p);

/* Whether this request's records go through the spool: an async Location
 * with KafkaUpstreamSpool On, a spool directory configured. */
int ku_spool_wanted(const ku_dir_conf_t *conf, int sync);

/* The async send of a spooled Location: each record is written to the
 * spool, then queued; its result says 200 once it is in the spool, 503
 * when the spool is full or cannot be written. */
void ku_spool_send(ku_producer_t *kp, ku_record_t *records, int n, apr_pool_t *p);

/* producer.c's hooks: a producer was made for a producer key (replayed
 * records find theirs by the key's hash); a delivery report came for an
 * opaque that ku_spool_is_entry() recognised. */
void ku_spool_producer_added(ku_producer_t *kp, const char *key, server_rec *s,
                             const char *name);
#define ku_spool_is_entry(opaque) (((uintptr_t)(opaque)) & 1)
void ku_spool_delivered(void *opaque, int err);

#endif
