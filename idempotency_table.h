/* SPDX-License-Identifier: Apache-2.0 */
/* idempotency_table.h: the answers kept for Idempotency-Key (README
 * "Idempotency-Key"), a fixed-size table in memory shared by every child.
 * httpd-free: the caller gives the memory, the time and its pid, so the
 * table is unit tested on its own.
 *
 * A key is claimed (in flight) before its request produces, and then
 * either finished (its answer kept until it expires) or released (no
 * answer kept: a retry runs anew). When the table is full, the least
 * recently used (claimed, or answered again) entry that is not in flight
 * gives way; entries in flight never do. A lookup costs O(1) on average (a
 * hash index in the same memory). A spin lock in the memory itself guards
 * it, so that children of two generations (a graceful restart) share it
 * safely; a lock held by a process that died is taken over. */
#ifndef KU_IDEMPOTENCY_TABLE_H
#define KU_IDEMPOTENCY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define KU_IDEM_KEY_MAX 255       /* Idempotency-Key: 1..255 printable ASCII */
#define KU_IDEM_FINGERPRINT 32    /* SHA-256 of method, URI and body */
#define KU_IDEM_BODY_MAX 2048     /* a longer answer is kept without its body */
#define KU_IDEM_TOPIC_MAX 256
#define KU_IDEM_CTYPE_MAX 64

/* The answer kept for a key. */
typedef struct {
    int32_t status;
    int32_t partition;            /* -1: none */
    int64_t offset;               /* -1: none */
    uint32_t body_len;
    uint32_t body_kept;           /* 0: the body was too long to keep */
    char topic[KU_IDEM_TOPIC_MAX];    /* "": none */
    char content_type[KU_IDEM_CTYPE_MAX];
    char body[KU_IDEM_BODY_MAX];
} ku_idem_answer_t;

typedef struct ku_idem_table ku_idem_table_t;

typedef enum {
    KU_IDEM_NEW,          /* claimed: the request may produce */
    KU_IDEM_REPLAY,       /* answered before: *answer is what was said */
    KU_IDEM_IN_FLIGHT,    /* the same request is being answered: 409 */
    KU_IDEM_MISMATCH,     /* the key was used for another request: 422 */
    KU_IDEM_FULL          /* every entry is in flight: 503 */
} ku_idem_claim_t;

/* The counters, as the status page shows them. */
typedef struct {
    uint64_t stored, hits, conflicts, mismatches, evictions;
    uint32_t entries, capacity;
} ku_idem_counts_t;

/* A claimed entry: what finish and release need. */
typedef struct {
    uint32_t index;
    uint64_t serial;
} ku_idem_ticket_t;

/* Bytes of memory a table of n entries needs. */
size_t ku_idem_table_size(uint32_t n);

/* The table in mem (ku_idem_table_size(n) bytes), made empty. */
ku_idem_table_t *ku_idem_table_init(void *mem, uint32_t n);

/* The table already in mem, or NULL if mem holds none of n entries. */
ku_idem_table_t *ku_idem_table_attach(void *mem, uint32_t n);

/* Whether key is a valid Idempotency-Key (length 1..255, printable ASCII,
 * no double quote: the draft's sf-string). */
int ku_idem_key_valid(const char *key, size_t len);

/* Looks key up at time now (µs): NEW claims it for pid (*ticket), REPLAY
 * copies the kept answer into *answer. */
ku_idem_claim_t ku_idem_claim(ku_idem_table_t *t, const char *key,
                              const unsigned char fingerprint[KU_IDEM_FINGERPRINT],
                              int64_t now, uint32_t pid, ku_idem_ticket_t *ticket,
                              ku_idem_answer_t *answer);

/* Keeps the answer of a claimed key until now + ttl (µs). */
void ku_idem_finish(ku_idem_table_t *t, const ku_idem_ticket_t *ticket,
                    const ku_idem_answer_t *answer, int64_t now, int64_t ttl);

/* Gives a claimed key up: no answer kept. */
void ku_idem_release(ku_idem_table_t *t, const ku_idem_ticket_t *ticket);

void ku_idem_counts(ku_idem_table_t *t, int64_t now, ku_idem_counts_t *out);

/* Says this process's pid and start time (proc_identity.h), once per
 * process (after fork): the pid is the lock's word, and both mark its
 * claims, so that a claim is not kept alive by another process that got
 * the pid after its claimer died. Unset (0), every lock asks getpid(). */
void ku_idem_set_pid(uint32_t pid, uint64_t started);

/* Sets the function that says whether a process still runs (default:
 * proc_identity.h, by pid and start time); for the unit test. */
void ku_idem_set_alive_check(int (*alive)(uint32_t pid));

#endif
