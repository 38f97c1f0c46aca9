/* SPDX-License-Identifier: Apache-2.0 */
/* spool.h: the durable spool (KafkaUpstreamSpool): an accepted async
 * record is written to a per-child segment file before the 200, marked
 * done on Kafka's acknowledgement, re-sent after retriable failures and
 * adopted from children that exited or crashed (README "The spool"). */
#ifndef KU_SPOOL_H
#define KU_SPOOL_H

#include "httpd.h"
#include "http_config.h"
#include "conf.h"

/* producer.h's, named only: the directive table (conf.c) includes this
 * header, and the producer's header would bring status.h along. */
struct ku_producer;
struct ku_record;

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
void ku_spool_send(struct ku_producer *kp, struct ku_record *records, int n, apr_pool_t *p);

#endif
