/* SPDX-License-Identifier: Apache-2.0 */
/* idempotency_table.c: the table of idempotency_table.h. Entries are
 * looked up by a scan (the table is bounded: README "Idempotency-Key"),
 * comparing a hash of the key before the key itself. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "idempotency_table.h"

#define KU_IDEM_MAGIC 0x6b756964656d3031ULL   /* "kuidem01" */

enum { KU_ENTRY_FREE, KU_ENTRY_IN_FLIGHT, KU_ENTRY_DONE };

typedef struct {
    uint32_t state;
    uint32_t owner;               /* in flight: the claiming process */
    uint64_t key_hash;
    uint64_t serial;              /* claim order: the oldest is evicted first */
    int64_t expires;              /* done: µs */
    unsigned char fingerprint[KU_IDEM_FINGERPRINT];
    char key[KU_IDEM_KEY_MAX + 1];
    ku_idem_answer_t answer;
} ku_idem_entry_t;

struct ku_idem_table {
    uint64_t magic;
    uint32_t capacity;
    uint32_t lock;                /* 0, or the holder's pid */
    uint64_t next_serial;
    uint64_t stored, hits, conflicts, mismatches, evictions;
    ku_idem_entry_t entries[];
};

static int pid_alive(uint32_t pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int (*alive_check)(uint32_t pid) = pid_alive;

void ku_idem_set_alive_check(int (*alive)(uint32_t pid))
{
    alive_check = alive ? alive : pid_alive;
}

size_t ku_idem_table_size(uint32_t n)
{
    return sizeof(ku_idem_table_t) + (size_t)n * sizeof(ku_idem_entry_t);
}

ku_idem_table_t *ku_idem_table_init(void *mem, uint32_t n)
{
    ku_idem_table_t *t = mem;

    memset(mem, 0, ku_idem_table_size(n));
    t->capacity = n;
    t->next_serial = 1;
    __atomic_store_n(&t->magic, KU_IDEM_MAGIC, __ATOMIC_RELEASE);
    return t;
}

ku_idem_table_t *ku_idem_table_attach(void *mem, uint32_t n)
{
    ku_idem_table_t *t = mem;

    return t && __atomic_load_n(&t->magic, __ATOMIC_ACQUIRE) == KU_IDEM_MAGIC
           && t->capacity == n ? t : NULL;
}

int ku_idem_key_valid(const char *key, size_t len)
{
    size_t i;

    if (len < 1 || len > KU_IDEM_KEY_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (key[i] < 0x20 || key[i] > 0x7e || key[i] == '"')
            return 0;
    return 1;
}

/* --- the lock: held for a scan of the table, never across I/O --------------- */

/* The holder's pid is the lock word, so a lock whose holder died (a
 * crashed child) is taken over instead of blocking every child. Threads of
 * one process share a pid: they only spin. */
static void lock(ku_idem_table_t *t)
{
    uint32_t pid = (uint32_t)getpid();
    unsigned spins = 0;

    for (;;) {
        uint32_t holder = 0;

        if (__atomic_compare_exchange_n(&t->lock, &holder, pid, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
        if (++spins % 1024 == 0 && holder != pid && !alive_check(holder)
            && __atomic_compare_exchange_n(&t->lock, &holder, pid, 0, __ATOMIC_ACQUIRE,
                                           __ATOMIC_RELAXED))
            return;
        sched_yield();
    }
}

static void unlock(ku_idem_table_t *t)
{
    __atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

/* --- entries ------------------------------------------------------------------ */

/* FNV-1a: only to skip most keys without comparing them. */
static uint64_t key_hash(const char *key)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    return h;
}

/* Whether an entry still stands: an answer not expired, or a claim whose
 * process lives. */
static int entry_live(const ku_idem_entry_t *e, int64_t now)
{
    if (e->state == KU_ENTRY_DONE)
        return e->expires > now;
    if (e->state == KU_ENTRY_IN_FLIGHT)
        return alive_check(e->owner);
    return 0;
}

static ku_idem_entry_t *find(ku_idem_table_t *t, const char *key, uint64_t h, int64_t now)
{
    uint32_t i;

    for (i = 0; i < t->capacity; i++) {
        ku_idem_entry_t *e = &t->entries[i];

        if (e->state != KU_ENTRY_FREE && e->key_hash == h && !strcmp(e->key, key)) {
            if (entry_live(e, now))
                return e;
            e->state = KU_ENTRY_FREE;
        }
    }
    return NULL;
}

/* A free (or dead) entry, else the oldest answered one, evicted; NULL when
 * every entry is in flight. */
static ku_idem_entry_t *room(ku_idem_table_t *t, int64_t now)
{
    ku_idem_entry_t *oldest = NULL;
    uint32_t i;

    for (i = 0; i < t->capacity; i++) {
        ku_idem_entry_t *e = &t->entries[i];

        if (!entry_live(e, now))
            return e;
        if (e->state == KU_ENTRY_DONE && (!oldest || e->serial < oldest->serial))
            oldest = e;
    }
    if (oldest)
        t->evictions++;
    return oldest;
}

ku_idem_claim_t ku_idem_claim(ku_idem_table_t *t, const char *key,
                              const unsigned char fingerprint[KU_IDEM_FINGERPRINT],
                              int64_t now, uint32_t pid, ku_idem_ticket_t *ticket,
                              ku_idem_answer_t *answer)
{
    uint64_t h = key_hash(key);
    ku_idem_entry_t *e;
    ku_idem_claim_t rc;

    lock(t);
    if ((e = find(t, key, h, now))) {
        if (memcmp(e->fingerprint, fingerprint, KU_IDEM_FINGERPRINT)) {
            t->mismatches++;
            rc = KU_IDEM_MISMATCH;
        }
        else if (e->state == KU_ENTRY_IN_FLIGHT) {
            t->conflicts++;
            rc = KU_IDEM_IN_FLIGHT;
        }
        else {
            t->hits++;
            *answer = e->answer;
            rc = KU_IDEM_REPLAY;
        }
    }
    else if (!(e = room(t, now)))
        rc = KU_IDEM_FULL;
    else {
        e->state = KU_ENTRY_IN_FLIGHT;
        e->owner = pid;
        e->key_hash = h;
        e->serial = t->next_serial++;
        memcpy(e->fingerprint, fingerprint, KU_IDEM_FINGERPRINT);
        strncpy(e->key, key, KU_IDEM_KEY_MAX);
        e->key[KU_IDEM_KEY_MAX] = '\0';
        ticket->index = (uint32_t)(e - t->entries);
        ticket->serial = e->serial;
        rc = KU_IDEM_NEW;
    }
    unlock(t);
    return rc;
}

/* The entry of a ticket, unless it was taken over meanwhile. */
static ku_idem_entry_t *ticket_entry(ku_idem_table_t *t, const ku_idem_ticket_t *ticket)
{
    ku_idem_entry_t *e;

    if (ticket->index >= t->capacity)
        return NULL;
    e = &t->entries[ticket->index];
    return e->state == KU_ENTRY_IN_FLIGHT && e->serial == ticket->serial ? e : NULL;
}

void ku_idem_finish(ku_idem_table_t *t, const ku_idem_ticket_t *ticket,
                    const ku_idem_answer_t *answer, int64_t now, int64_t ttl)
{
    ku_idem_entry_t *e;

    lock(t);
    if ((e = ticket_entry(t, ticket))) {
        e->answer = *answer;
        e->expires = now + ttl;
        e->state = KU_ENTRY_DONE;
        t->stored++;
    }
    unlock(t);
}

void ku_idem_release(ku_idem_table_t *t, const ku_idem_ticket_t *ticket)
{
    ku_idem_entry_t *e;

    lock(t);
    if ((e = ticket_entry(t, ticket)))
        e->state = KU_ENTRY_FREE;
    unlock(t);
}

void ku_idem_counts(ku_idem_table_t *t, int64_t now, ku_idem_counts_t *out)
{
    uint32_t i;

    lock(t);
    out->stored = t->stored;
    out->hits = t->hits;
    out->conflicts = t->conflicts;
    out->mismatches = t->mismatches;
    out->evictions = t->evictions;
    out->capacity = t->capacity;
    out->entries = 0;
    for (i = 0; i < t->capacity; i++)
        out->entries += entry_live(&t->entries[i], now);
    unlock(t);
}
