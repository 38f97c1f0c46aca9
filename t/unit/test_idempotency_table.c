/* SPDX-License-Identifier: Apache-2.0 */
/* The Idempotency-Key table (README "Idempotency-Key"): claims, replays,
 * conflicts, expiry, eviction of the least recently used, dead claimers
 * (also one whose pid another process got), key rules; its hash index
 * against a model of the table under random claims, answers, releases and
 * expiries (collisions, removals from probe chains, a full table). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idempotency_table.h"
#include "proc_identity.h"
#include "check.h"

static uint32_t dead_pid;

static int alive(uint32_t pid)
{
    return pid != dead_pid;
}

static ku_idem_table_t *make(uint32_t n)
{
    return ku_idem_table_init(calloc(1, ku_idem_table_size(n)), n);
}

/* With the real process table: a claim made under this process's pid and
 * start time stands; one made under its pid and another start time (the
 * pid's earlier owner, dead) gives way to the next claim of its key. */
static int claims_know_their_process(void)
{
    ku_idem_table_t *t = make(2);
    unsigned char fp[KU_IDEM_FINGERPRINT];
    uint32_t me = (uint32_t)getpid();
    uint64_t started = ku_proc_start_time((pid_t)me);
    ku_idem_ticket_t a;
    ku_idem_answer_t got;
    int ok;

    memset(fp, 1, sizeof(fp));
    ku_idem_set_alive_check(NULL);
    ku_idem_set_pid(me, started);
    ok = started != 0
         && ku_idem_claim(t, "mine", fp, 1000, me, &a, &got) == KU_IDEM_NEW
         && ku_idem_claim(t, "mine", fp, 1001, me, &a, &got) == KU_IDEM_IN_FLIGHT;
    ku_idem_set_pid(me, started + 1);
    ok = ok && ku_idem_claim(t, "theirs", fp, 1002, me, &a, &got) == KU_IDEM_NEW;
    ku_idem_set_pid(me, started);
    ok = ok && ku_idem_claim(t, "theirs", fp, 1003, me, &a, &got) == KU_IDEM_NEW
         && ku_idem_claim(t, "mine", fp, 1004, me, &a, &got) == KU_IDEM_IN_FLIGHT;
    ku_idem_set_pid(0, 0);
    ku_idem_set_alive_check(alive);
    free(t);
    return ok;
}

static void print(unsigned char fp[KU_IDEM_FINGERPRINT], int seed)
{
    memset(fp, seed, KU_IDEM_FINGERPRINT);
}

static ku_idem_answer_t answer_of(int status, const char *body)
{
    ku_idem_answer_t a;

    memset(&a, 0, sizeof(a));
    a.status = status;
    a.partition = 2;
    a.offset = 42;
    a.body_len = (uint32_t)strlen(body);
    a.body_kept = 1;
    strcpy(a.body, body);
    return a;
}

/* --- a model: the table's rules on a plain array, in use order ------------------- */

#define MODEL_KEYS 40

typedef struct {
    int key;                      /* index into the key names */
    int in_flight;
    int64_t expires;
    int fp;
    uint64_t serial;              /* the ticket's, to tell a stale one */
} model_entry_t;

typedef struct {
    model_entry_t e[64];          /* the least recently used first */
    int n, capacity;
    uint64_t evictions, serial;
} model_t;

static void model_remove(model_t *m, int i)
{
    memmove(&m->e[i], &m->e[i + 1], (size_t)(m->n - i - 1) * sizeof(m->e[0]));
    m->n--;
}

static int model_find(model_t *m, int key, int64_t now)
{
    int i;

    for (i = 0; i < m->n; i++)
        if (m->e[i].key == key) {
            if (m->e[i].in_flight || m->e[i].expires > now)
                return i;
            model_remove(m, i);
            return -1;
        }
    return -1;
}

static ku_idem_claim_t model_claim(model_t *m, int key, int fp, int64_t now, uint64_t *serial)
{
    int i = model_find(m, key, now);
    model_entry_t e;

    if (i >= 0) {
        if (m->e[i].fp != fp)
            return KU_IDEM_MISMATCH;
        if (m->e[i].in_flight)
            return KU_IDEM_IN_FLIGHT;
        e = m->e[i];
        model_remove(m, i);
        m->e[m->n++] = e;
        return KU_IDEM_REPLAY;
    }
    if (m->n == m->capacity) {
        for (i = 0; i < m->n && m->e[i].in_flight; i++)
            ;
        if (i == m->n)
            return KU_IDEM_FULL;
        m->evictions += m->e[i].expires > now;
        model_remove(m, i);
    }
    memset(&e, 0, sizeof(e));
    e.key = key;
    e.in_flight = 1;
    e.fp = fp;
    e.serial = *serial = ++m->serial;
    m->e[m->n++] = e;
    return KU_IDEM_NEW;
}

static int model_ticket(model_t *m, uint64_t serial)
{
    int i;

    for (i = 0; i < m->n; i++)
        if (m->e[i].serial == serial && m->e[i].in_flight)
            return i;
    return -1;
}

static uint64_t rng_state = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* Random claims (a few fingerprints), answers with short and long TTLs,
 * releases, stale tickets and time passing, on a table of capacity entries
 * whose index (2 slots an entry) is full of collisions: every result and
 * the eviction count must be the model's. */
static int random_against_model(uint32_t capacity, int steps)
{
    ku_idem_table_t *t = make(capacity);
    model_t m;
    struct { ku_idem_ticket_t ticket; uint64_t model_serial; } open[64];
    int n_open = 0, step, wrong = 0;
    int64_t now = 1000000;
    char names[MODEL_KEYS][16];
    ku_idem_answer_t got, sent = answer_of(200, "{}");
    ku_idem_counts_t c;

    memset(&m, 0, sizeof(m));
    m.capacity = (int)capacity;
    for (step = 0; step < MODEL_KEYS; step++)
        snprintf(names[step], sizeof(names[step]), "key-%d", step * 7919);
    for (step = 0; step < steps && !wrong; step++) {
        unsigned what = rnd(10);

        if (what < 5) {
            int key = (int)rnd(MODEL_KEYS), fp_seed = 1 + (int)rnd(8) / 7;
            unsigned char fp[KU_IDEM_FINGERPRINT];
            ku_idem_ticket_t ticket;
            uint64_t serial = 0;
            ku_idem_claim_t want, have;

            print(fp, fp_seed);
            want = model_claim(&m, key, fp_seed, now, &serial);
            have = ku_idem_claim(t, names[key], fp, now, 10, &ticket, &got);
            wrong = want != have;
            if (have == KU_IDEM_NEW && n_open < 64) {
                open[n_open].ticket = ticket;
                open[n_open++].model_serial = serial;
            }
        }
        else if (what < 9 && n_open) {
            int k = (int)rnd((unsigned)n_open), i = model_ticket(&m, open[k].model_serial);
            int64_t ttl = rnd(3) ? 1000000 : 50;

            if (what < 8) {
                ku_idem_finish(t, &open[k].ticket, &sent, now, ttl);
                if (i >= 0) {
                    m.e[i].in_flight = 0;
                    m.e[i].expires = now + ttl;
                }
            }
            else {
                ku_idem_release(t, &open[k].ticket);
                if (i >= 0)
                    model_remove(&m, i);
            }
            /* Kept sometimes: a stale ticket must change nothing. */
            if (rnd(4))
                open[k] = open[--n_open];
        }
        else
            now += rnd(100);
    }
    ku_idem_counts(t, now, &c);
    if (c.evictions != m.evictions)
        wrong = 1;
    if (wrong)
        printf("# differs from the model at step %d of %u entries\n", step, capacity);
    free(t);
    return !wrong;
}

/* A full table of 16384 entries, keys coming and going: every kept key
 * is still found after many evictions moved others out of its probe chain. */
static int big_table_keeps_the_newest(void)
{
    const uint32_t n = 16384;
    ku_idem_table_t *t = make(n);
    unsigned char fp[KU_IDEM_FINGERPRINT];
    ku_idem_answer_t got, sent = answer_of(200, "{}");
    ku_idem_ticket_t ticket;
    char key[32];
    uint32_t i, found = 0;

    print(fp, 3);
    for (i = 0; i < 3 * n; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        if (ku_idem_claim(t, key, fp, 1000, 10, &ticket, &got) != KU_IDEM_NEW)
            break;
        ku_idem_finish(t, &ticket, &sent, 1000, 1000000);
    }
    for (i = 2 * n; i < 3 * n; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        found += ku_idem_claim(t, key, fp, 2000, 10, &ticket, &got) == KU_IDEM_REPLAY;
    }
    snprintf(key, sizeof(key), "k%u", 2 * n - 1);
    i = ku_idem_claim(t, key, fp, 2000, 10, &ticket, &got) == KU_IDEM_NEW;
    free(t);
    return found == n && i;
}

int main(void)
{
    ku_idem_table_t *t = make(2);
    unsigned char fp[KU_IDEM_FINGERPRINT], other[KU_IDEM_FINGERPRINT];
    ku_idem_ticket_t a, b, c;
    ku_idem_answer_t got, sent = answer_of(200, "{\"message\":\"message sent\"}");
    ku_idem_counts_t n;
    char long_key[300];

    ku_idem_set_alive_check(alive);
    print(fp, 1);
    print(other, 2);

    CHECK("attach finds the table", ku_idem_table_attach(t, 2) == t);
    CHECK("attach refuses another size", !ku_idem_table_attach(t, 3));
    CHECK("first use claims", ku_idem_claim(t, "k1", fp, 1000, 10, &a, &got) == KU_IDEM_NEW);
    CHECK("in flight: conflict", ku_idem_claim(t, "k1", fp, 1001, 11, &b, &got)
                                 == KU_IDEM_IN_FLIGHT);
    CHECK("other request, same key: mismatch",
          ku_idem_claim(t, "k1", other, 1001, 11, &b, &got) == KU_IDEM_MISMATCH);
    ku_idem_finish(t, &a, &sent, 2000, 500);
    memset(&got, 0, sizeof(got));
    CHECK("answered: replay", ku_idem_claim(t, "k1", fp, 2400, 11, &b, &got) == KU_IDEM_REPLAY);
    CHECK("replay: same status", got.status == 200);
    CHECK("replay: same body", !strcmp(got.body, sent.body) && got.body_len == sent.body_len);
    CHECK("replay: same offset", got.partition == 2 && got.offset == 42);
    CHECK("expired: claims anew", ku_idem_claim(t, "k1", fp, 2500, 10, &a, &got) == KU_IDEM_NEW);
    ku_idem_release(t, &a);
    CHECK("released: claims anew", ku_idem_claim(t, "k1", fp, 2600, 10, &a, &got) == KU_IDEM_NEW);
    CHECK("second key", ku_idem_claim(t, "k2", fp, 2700, 10, &b, &got) == KU_IDEM_NEW);
    CHECK("full of claims: no room", ku_idem_claim(t, "k3", fp, 2800, 10, &c, &got)
                                     == KU_IDEM_FULL);
    ku_idem_finish(t, &a, &sent, 2800, 10000);
    ku_idem_finish(t, &b, &sent, 2800, 10000);
    CHECK("full: the oldest gives way", ku_idem_claim(t, "k3", fp, 2900, 10, &c, &got)
                                        == KU_IDEM_NEW);
    CHECK("the newer answer was kept", ku_idem_claim(t, "k2", fp, 2900, 10, &b, &got)
                                       == KU_IDEM_REPLAY);
    dead_pid = 10;
    CHECK("claimer died: claims anew", ku_idem_claim(t, "k3", fp, 3000, 12, &a, &got)
                                       == KU_IDEM_NEW);
    ku_idem_finish(t, &c, &sent, 3000, 10000);
    ku_idem_counts(t, 3000, &n);
    CHECK("a stale ticket stores nothing", n.stored == 3);
    CHECK("counts: hits", n.hits == 2);
    CHECK("counts: conflicts", n.conflicts == 1);
    CHECK("counts: mismatches", n.mismatches == 1);
    CHECK("counts: evictions", n.evictions == 1);
    CHECK("counts: entries", n.entries == 2 && n.capacity == 2);
    free(t);

    /* A replayed key is in use: the one never asked again gives way. */
    t = make(2);
    ku_idem_claim(t, "r1", fp, 1000, 10, &a, &got);
    ku_idem_finish(t, &a, &sent, 1000, 10000);
    ku_idem_claim(t, "r2", fp, 1100, 10, &b, &got);
    ku_idem_finish(t, &b, &sent, 1100, 10000);
    CHECK("replayed: r1", ku_idem_claim(t, "r1", fp, 1200, 10, &a, &got) == KU_IDEM_REPLAY);
    CHECK("full: r3 claims", ku_idem_claim(t, "r3", fp, 1300, 10, &c, &got) == KU_IDEM_NEW);
    CHECK("the replayed key stayed", ku_idem_claim(t, "r1", fp, 1400, 10, &a, &got)
                                     == KU_IDEM_REPLAY);
    CHECK("the key never asked again went", ku_idem_claim(t, "r2", fp, 1400, 10, &b, &got)
                                           == KU_IDEM_NEW);
    free(t);

    /* The least recently used entry gives way when expired or whose claimer
     * died, and neither counts as an eviction; a live claim never does. */
    t = make(3);
    dead_pid = 0;
    ku_idem_claim(t, "d1", fp, 1000, 20, &a, &got);
    ku_idem_claim(t, "d2", fp, 1000, 21, &b, &got);
    ku_idem_finish(t, &b, &sent, 1000, 100);
    ku_idem_claim(t, "d3", fp, 1000, 22, &c, &got);
    ku_idem_finish(t, &c, &sent, 1000, 10000);
    CHECK("full, d1 in flight: d2 (expired) gives way",
          ku_idem_claim(t, "d4", fp, 2000, 22, &b, &got) == KU_IDEM_NEW);
    CHECK("d1 still in flight", ku_idem_claim(t, "d1", fp, 2000, 22, &c, &got)
                                == KU_IDEM_IN_FLIGHT);
    dead_pid = 20;
    CHECK("d1's claimer died: d5 takes its entry",
          ku_idem_claim(t, "d5", fp, 2000, 22, &a, &got) == KU_IDEM_NEW);
    CHECK("d3 kept", ku_idem_claim(t, "d3", fp, 2000, 22, &c, &got) == KU_IDEM_REPLAY);
    CHECK("full of live claims and d3: d3 gives way",
          ku_idem_claim(t, "d6", fp, 2000, 22, &c, &got) == KU_IDEM_NEW);
    CHECK("full of live claims: 503", ku_idem_claim(t, "d7", fp, 2000, 22, &c, &got)
                                      == KU_IDEM_FULL);
    ku_idem_counts(t, 2000, &n);
    CHECK("expired and dead entries are no evictions", n.evictions == 1 && n.entries == 3);
    ku_idem_release(t, &a);
    CHECK("released: d7 claims", ku_idem_claim(t, "d7", fp, 2000, 22, &c, &got) == KU_IDEM_NEW);
    free(t);
    dead_pid = 0;

    CHECK("a claim whose pid another process got is dead; its own claimer's lives",
          claims_know_their_process());

    CHECK("index: 1 entry, random use, as the model", random_against_model(1, 5000));
    CHECK("index: 8 entries, random use, as the model", random_against_model(8, 40000));
    CHECK("index: 33 entries, random use, as the model", random_against_model(33, 40000));
    CHECK("index: 16384 entries, 3 times over: the newest all found",
          big_table_keeps_the_newest());

    CHECK("key: plain", ku_idem_key_valid("8e03978e-40d5", 13));
    CHECK("key: empty", !ku_idem_key_valid("", 0));
    memset(long_key, 'a', sizeof(long_key));
    CHECK("key: 255 bytes", ku_idem_key_valid(long_key, 255));
    CHECK("key: 256 bytes", !ku_idem_key_valid(long_key, 256));
    CHECK("key: control", !ku_idem_key_valid("a\tb", 3));
    CHECK("key: not ASCII", !ku_idem_key_valid("caf\xc3\xa9", 5));
    CHECK("key: quote", !ku_idem_key_valid("a\"b", 3));
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
