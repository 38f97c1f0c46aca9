/* SPDX-License-Identifier: Apache-2.0 */
/* answer.h: a send's outcome as the HTTP answer (README "Responses") and
 * as the status page's reason for a record never queued: the one place
 * where librdkafka's errors become statuses and texts. httpd-free: its
 * unit test builds without httpd's include flags. */
#ifndef KU_ANSWER_H
#define KU_ANSWER_H

#include "reject.h"
#include "send_result.h"

typedef struct {
    int status;              /* 200, or the error status */
    const char *error;       /* short, safe detail when status != 200 */
    const char *kafka_error; /* librdkafka's own text, or NULL */
    ku_reject_t reason;      /* the status page's, for an outcome KU_SEND_REFUSED */
} ku_answer_t;

ku_answer_t ku_answer_of(const ku_send_result_t *res);

#endif
