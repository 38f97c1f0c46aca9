/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for latency.c: bucket choice at and around the bounds, and
 * quantiles, including those above the last bound (no invented figure). */
#include <string.h>

#include "latency.h"
#include "check.h"

static void test_buckets(void)
{
    CHECK("0 us: first bucket", ku_latency_bucket(0) == 0);
    CHECK("1 ms exactly: the 1 ms bucket", ku_latency_bucket(1000) == 0);
    CHECK("1.001 ms: the 2 ms bucket", ku_latency_bucket(1001) == 1);
    CHECK("10 s exactly: the last bounded bucket",
          ku_latency_bucket(10000000) == KU_LATENCY_BOUNDS - 1);
    CHECK("10.000001 s: above the last bound", ku_latency_bucket(10000001) == KU_LATENCY_BOUNDS);
    CHECK("an hour: above the last bound", ku_latency_bucket(3600000000LL) == KU_LATENCY_BOUNDS);
}

static void test_quantiles(void)
{
    uint64_t b[KU_BUCKETS];

    memset(b, 0, sizeof(b));
    CHECK("no counts: no quantile", ku_latency_quantile_bucket(b, 0.5) == -1);
    b[2] = 50;                      /* <= 5 ms */
    b[4] = 49;                      /* <= 25 ms */
    b[KU_LATENCY_BOUNDS] = 1;       /* above 10 s */
    CHECK("p50 in the 5 ms bucket", ku_latency_quantile_bucket(b, 0.5) == 2);
    CHECK("p99 in the 25 ms bucket", ku_latency_quantile_bucket(b, 0.99) == 4);
    CHECK("p100 above the last bound", ku_latency_quantile_bucket(b, 1.0) == KU_LATENCY_BOUNDS);
    b[KU_LATENCY_BOUNDS] = 10;
    CHECK("p99 above the last bound when 10 of 109 are",
          ku_latency_quantile_bucket(b, 0.99) == KU_LATENCY_BOUNDS);
    memset(b, 0, sizeof(b));
    b[KU_LATENCY_BOUNDS] = 3;
    CHECK("all above: p50 above the last bound",
          ku_latency_quantile_bucket(b, 0.5) == KU_LATENCY_BOUNDS);
}

int main(void)
{
    test_buckets();
    test_quantiles();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
