/* SPDX-License-Identifier: Apache-2.0 */
/* reject.h: the status page's reasons for a record never produced (README
 * "Status page"); httpd-free, for answer.c. */
#ifndef KU_REJECT_H
#define KU_REJECT_H

/* Why a message was not produced: a small fixed set, named in the output. */
#define KU_REJECT_REASONS(X) \
    X(BAD_REQUEST, "bad_request")             /* 400: body unreadable or unparseable */ \
    X(TOPIC_NOT_ALLOWED, "topic_not_allowed") /* 403 */ \
    X(TOO_LARGE, "too_large")                 /* 413: body or message */ \
    X(QUEUE_FULL, "queue_full")               /* 503: local queue full */ \
    X(UNAVAILABLE, "unavailable")             /* 503: producer unusable or missing */ \
    X(UNKNOWN_TOPIC, "unknown_topic")         /* 502: refused when queued */ \
    X(OTHER, "other")

#define KU_ENUM_REJECT(id, name) KU_REJECT_##id,
typedef enum { KU_REJECT_REASONS(KU_ENUM_REJECT) KU_REJECT_COUNT } ku_reject_t;

#endif
