/* SPDX-License-Identifier: Apache-2.0 */
/* results.h: the answer to a request that made several records (README
 * "Responses"): {"message":...,"results":[...]} with each record's
 * outcome, written to the client as it is made, so that its size costs
 * no memory (README "Limits"). */
#ifndef KU_RESULTS_H
#define KU_RESULTS_H

#include "httpd.h"
#include "answer.h"
#include "conf.h"
#include "producer.h"

/* Answers status (200: all accepted, or 207) with one result per record;
 * sync answers name the partition and offset of the accepted ones.
 * Returns OK. */
int ku_results_respond(request_rec *r, const ku_dir_conf_t *conf, int status,
                       const ku_record_t *records, const ku_answer_t *answers, int n,
                       int sync);

#endif
