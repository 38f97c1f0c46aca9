/* SPDX-License-Identifier: Apache-2.0 */
/* The Idempotency-Key table (README "Idempotency-Key"): claims, replays,
 * conflicts, expiry, eviction of the oldest, dead claimers, key rules. */
#include <stdlib.h>
#include <string.h>

#include "idempotency_table.h"
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

    CHECK("key: plain", ku_idem_key_valid("8e03978e-40d5", 13));
    CHECK("key: empty", !ku_idem_key_valid("", 0));
    memset(long_key, 'a', sizeof(long_key));
    CHECK("key: 255 bytes", ku_idem_key_valid(long_key, 255));
    CHECK("key: 256 bytes", !ku_idem_key_valid(long_key, 256));
    CHECK("key: control", !ku_idem_key_valid("a\tb", 3));
    CHECK("key: not ASCII", !ku_idem_key_valid("caf\xc3\xa9", 5));
    CHECK("key: quote", !ku_idem_key_valid("a\"b", 3));
    free(t);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
