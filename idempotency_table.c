/* SPDX-License-Identifier: Apache-2.0 */
/* idempotency_table.c: the table of idempotency_table.h.
 *
 * A lookup costs O(1) on average (README "Idempotency-Key"): a hash index
 * after the entries (open addressing, linear probing, at most half full,
 * deletion by backward shift so that no tombstones lengthen the chains)
 * maps a key to its entry. Unused entries form a free list; used ones a
 * list in order of use (claimed, or answered again from the table): a new
 * key in a full table takes the first entry of that list that is not in
 * flight. Every walk is bounded by the table's size, so that memory left
 * half-updated by a process that died holding the lock cannot loop. */
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "idempotency_table.h"
#include "proc_identity.h"

/* The layout's version: another one makes a new table at a restart. */
#define KU_IDEM_MAGIC 0x6b756964656d3033ULL   /* "kuidem03" */
#define KU_NONE UINT32_MAX

enum { KU_ENTRY_FREE, KU_ENTRY_IN_FLIGHT, KU_ENTRY_DONE };

typedef struct {
    uint32_t state;
    uint32_t owner;               /* in flight: the claiming process */
    uint64_t owner_started;       /* and its start time (0: unknown) */
    uint32_t prev, next;          /* the use list; next: the free list too */
    uint64_t key_hash;
    uint64_t serial;              /* claim number: tells a ticket's claim */
    int64_t expires;              /* done: µs */
    unsigned char fingerprint[KU_IDEM_FINGERPRINT];
    char key[KU_IDEM_KEY_MAX + 1];
    ku_idem_answer_t answer;
} ku_idem_entry_t;

/* A slot of the index: entry + 1 (0: empty) and the key hash's low bits,
 * which give the slot's home and spare most key comparisons. */
typedef struct {
    uint32_t entry;
    uint32_t hash;
} ku_idem_slot_t;

struct ku_idem_table {
    uint64_t magic;
    uint32_t capacity;
    uint32_t lock;                /* 0, or the holder's pid */
    uint64_t next_serial;
    uint64_t stored, hits, conflicts, mismatches, evictions;
    uint32_t slot_mask;           /* index slots - 1 (a power of two) */
    uint32_t free_head;           /* unused entries */
    uint32_t used_head, used_tail;    /* the least recently used first */
    uint64_t seed;                /* keys the hash: chains clients cannot aim at */
    ku_idem_entry_t entries[];    /* then the index: ku_idem_slot_t[slot_mask + 1] */
};

static uint32_t own_pid;
static uint64_t own_started;

void ku_idem_set_pid(uint32_t pid, uint64_t started)
{
    own_pid = pid;
    own_started = started;
}

static uint32_t self(void)
{
    return own_pid ? own_pid : (uint32_t)getpid();
}

/* The unit test's stand-in for the process table, or NULL. */
static int (*alive_check)(uint32_t pid);

void ku_idem_set_alive_check(int (*alive)(uint32_t pid))
{
    alive_check = alive;
}

/* Whether the lock's holder may still run: by pid alone (the lock word). */
static int holder_alive(uint32_t pid)
{
    return alive_check ? alive_check(pid) : ku_proc_exists((pid_t)pid);
}

/* Whether a claim's process still runs, and is not another that got its pid. */
static int claimer_alive(const ku_idem_entry_t *e)
{
    return alive_check ? alive_check(e->owner)
                       : ku_proc_is_running((pid_t)e->owner, e->owner_started);
}

/* Index slots for n entries: a power of two, at least twice n. */
static uint32_t slot_count(uint32_t n)
{
    uint32_t slots = 2;

    while (slots < 2 * (uint64_t)n)
        slots *= 2;
    return slots;
}

static ku_idem_slot_t *slots_of(ku_idem_table_t *t)
{
    return (ku_idem_slot_t *)(void *)(t->entries + t->capacity);
}

size_t ku_idem_table_size(uint32_t n)
{
    return sizeof(ku_idem_table_t) + (size_t)n * sizeof(ku_idem_entry_t)
           + (size_t)slot_count(n) * sizeof(ku_idem_slot_t);
}

ku_idem_table_t *ku_idem_table_init(void *mem, uint32_t n)
{
    ku_idem_table_t *t = mem;
    uint32_t i;

    memset(mem, 0, ku_idem_table_size(n));
    t->capacity = n;
    t->next_serial = 1;
    t->slot_mask = slot_count(n) - 1;
    if (getentropy(&t->seed, sizeof(t->seed)))
        t->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)mem;
    t->used_head = t->used_tail = KU_NONE;
    for (i = 0; i < n; i++)
        t->entries[i].next = i + 1 < n ? i + 1 : KU_NONE;
    t->free_head = n ? 0 : KU_NONE;
    __atomic_store_n(&t->magic, KU_IDEM_MAGIC, __ATOMIC_RELEASE);
    return t;
}

ku_idem_table_t *ku_idem_table_attach(void *mem, uint32_t n)
{
    ku_idem_table_t *t = mem;

    return t && __atomic_load_n(&t->magic, __ATOMIC_ACQUIRE) == KU_IDEM_MAGIC
           && t->capacity == n && t->slot_mask == slot_count(n) - 1 ? t : NULL;
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

/* --- the lock: held for a lookup, never across I/O ---------------------------- */

/* The holder's pid is the lock word, so a lock whose holder died (a
 * crashed child) is taken over instead of blocking every child. Threads of
 * one process share a pid: they only spin. The pid is the one given by
 * ku_idem_set_pid (once per process), not a system call per lock. */
static void lock(ku_idem_table_t *t)
{
    uint32_t pid = self();
    unsigned spins = 0;

    for (;;) {
        uint32_t holder = 0;

        if (__atomic_compare_exchange_n(&t->lock, &holder, pid, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
        if (++spins % 1024 == 0 && holder != pid && !holder_alive(holder)
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

/* --- the index ------------------------------------------------------------------ */

/* FNV-1a from the table's random seed, then a 64-bit finaliser
 * (MurmurHash3's) so that the low bits, which pick the slot, depend on
 * every bit of the key. Not a cryptographic hash: keys made to collide
 * cost at worst a walk of the table. */
static uint64_t key_hash(const ku_idem_table_t *t, const char *key)
{
    uint64_t h = 14695981039346656037ULL ^ t->seed;

    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* The slot holding entry i (whose hash is h), or KU_NONE. */
static uint32_t slot_of(ku_idem_table_t *t, uint32_t i, uint64_t h)
{
    ku_idem_slot_t *slots = slots_of(t);
    uint32_t s = (uint32_t)h & t->slot_mask, n;

    for (n = 0; n <= t->slot_mask && slots[s].entry; n++, s = (s + 1) & t->slot_mask)
        if (slots[s].entry == i + 1)
            return s;
    return KU_NONE;
}

static void index_add(ku_idem_table_t *t, uint32_t i, uint64_t h)
{
    ku_idem_slot_t *slots = slots_of(t);
    uint32_t s = (uint32_t)h & t->slot_mask, n;

    /* At most half full: an empty slot is always found. */
    for (n = 0; n < t->slot_mask && slots[s].entry; n++)
        s = (s + 1) & t->slot_mask;
    slots[s].entry = i + 1;
    slots[s].hash = (uint32_t)h;
}

/* Empties slot s and moves back the slots after it that probed past it,
 * so that every key stays reachable from its home without tombstones. */
static void index_remove(ku_idem_table_t *t, uint32_t s)
{
    ku_idem_slot_t *slots = slots_of(t);
    uint32_t j = s, n;

    for (n = 0; n < t->slot_mask; n++) {
        uint32_t home;

        j = (j + 1) & t->slot_mask;
        if (!slots[j].entry)
            break;
        home = slots[j].hash & t->slot_mask;
        /* It stays when its home lies cyclically in (s, j]. */
        if (s <= j ? s < home && home <= j : s < home || home <= j)
            continue;
        slots[s] = slots[j];
        s = j;
    }
    slots[s].entry = 0;
}

/* --- the lists ------------------------------------------------------------------ */

static void unlink_used(ku_idem_table_t *t, uint32_t i)
{
    ku_idem_entry_t *e = &t->entries[i];

    if (e->prev != KU_NONE)
        t->entries[e->prev].next = e->next;
    else
        t->used_head = e->next;
    if (e->next != KU_NONE)
        t->entries[e->next].prev = e->prev;
    else
        t->used_tail = e->prev;
}

static void append_used(ku_idem_table_t *t, uint32_t i)
{
    ku_idem_entry_t *e = &t->entries[i];

    e->prev = t->used_tail;
    e->next = KU_NONE;
    if (t->used_tail != KU_NONE)
        t->entries[t->used_tail].next = i;
    else
        t->used_head = i;
    t->used_tail = i;
}

/* Takes a used entry out of the index and the use list; FREE. */
static void drop(ku_idem_table_t *t, uint32_t i)
{
    ku_idem_entry_t *e = &t->entries[i];
    uint32_t s = slot_of(t, i, e->key_hash);

    if (s != KU_NONE)
        index_remove(t, s);
    unlink_used(t, i);
    e->state = KU_ENTRY_FREE;
}

static void free_entry(ku_idem_table_t *t, uint32_t i)
{
    drop(t, i);
    t->entries[i].next = t->free_head;
    t->free_head = i;
}

/* --- entries -------------------------------------------------------------------- */

/* Whether an entry still stands: an answer not expired, or a claim whose
 * process lives. */
static int entry_live(const ku_idem_entry_t *e, int64_t now)
{
    if (e->state == KU_ENTRY_DONE)
        return e->expires > now;
    if (e->state == KU_ENTRY_IN_FLIGHT)
        return claimer_alive(e);
    return 0;
}

/* The entry of key, if it still stands; one that does not is freed. */
static ku_idem_entry_t *find(ku_idem_table_t *t, const char *key, uint64_t h, int64_t now)
{
    ku_idem_slot_t *slots = slots_of(t);
    uint32_t s = (uint32_t)h & t->slot_mask, n;

    for (n = 0; n <= t->slot_mask && slots[s].entry; n++, s = (s + 1) & t->slot_mask) {
        uint32_t i = slots[s].entry - 1;
        ku_idem_entry_t *e = &t->entries[i];

        if (slots[s].hash != (uint32_t)h || e->key_hash != h || strcmp(e->key, key))
            continue;
        if (entry_live(e, now))
            return e;
        free_entry(t, i);
        return NULL;
    }
    return NULL;
}

/* A free entry, else the least recently used one not in flight (an
 * eviction, unless it had expired) or whose claimer died; NULL when every
 * entry is in flight. The entry returned is in no list. */
static ku_idem_entry_t *room(ku_idem_table_t *t, int64_t now)
{
    uint32_t i = t->free_head, n;

    if (i != KU_NONE) {
        t->free_head = t->entries[i].next;
        return &t->entries[i];
    }
    for (i = t->used_head, n = 0; i != KU_NONE && n < t->capacity;
         i = t->entries[i].next, n++) {
        ku_idem_entry_t *e = &t->entries[i];

        if (e->state == KU_ENTRY_DONE || !claimer_alive(e)) {
            if (e->state == KU_ENTRY_DONE && e->expires > now)
                t->evictions++;
            drop(t, i);
            return e;
        }
    }
    return NULL;
}

ku_idem_claim_t ku_idem_claim(ku_idem_table_t *t, const char *key,
                              const unsigned char fingerprint[KU_IDEM_FINGERPRINT],
                              int64_t now, uint32_t pid, ku_idem_ticket_t *ticket,
                              ku_idem_answer_t *answer)
{
    uint64_t h = key_hash(t, key);
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
            /* A key answered again is in use: the last to give way. */
            unlink_used(t, (uint32_t)(e - t->entries));
            append_used(t, (uint32_t)(e - t->entries));
            t->hits++;
            *answer = e->answer;
            rc = KU_IDEM_REPLAY;
        }
    }
    else if (!(e = room(t, now)))
        rc = KU_IDEM_FULL;
    else {
        uint32_t i = (uint32_t)(e - t->entries);

        e->state = KU_ENTRY_IN_FLIGHT;
        e->owner = pid;
        e->owner_started = pid == self() ? own_started : 0;
        e->key_hash = h;
        e->serial = t->next_serial++;
        memcpy(e->fingerprint, fingerprint, KU_IDEM_FINGERPRINT);
        strncpy(e->key, key, KU_IDEM_KEY_MAX);
        e->key[KU_IDEM_KEY_MAX] = '\0';
        index_add(t, i, h);
        append_used(t, i);
        ticket->index = i;
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
    lock(t);
    if (ticket_entry(t, ticket))
        free_entry(t, ticket->index);
    unlock(t);
}

/* Walks the table (the status page only: O(n)). */
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
