/* SPDX-License-Identifier: Apache-2.0 */
/* latency.c: the delivery latency histogram's bounds and arithmetic. */
#include "latency.h"

const int ku_latency_le_ms[KU_LATENCY_BOUNDS] = { 1, 2, 5, 10, 25, 50, 100, 250, 500,
                                                  1000, 2500, 5000, 10000 };

int ku_latency_bucket(int64_t latency_us)
{
    int b;

    for (b = 0; b < KU_LATENCY_BOUNDS && latency_us > (int64_t)ku_latency_le_ms[b] * 1000; b++)
        ;
    return b;
}

int ku_latency_quantile_bucket(const uint64_t bucket[KU_BUCKETS], double q)
{
    uint64_t total = 0, seen = 0;
    int b;

    for (b = 0; b < KU_BUCKETS; b++)
        total += bucket[b];
    if (!total)
        return -1;
    for (b = 0; b < KU_LATENCY_BOUNDS; b++) {
        seen += bucket[b];
        if ((double)seen >= q * (double)total)
            return b;
    }
    return KU_LATENCY_BOUNDS;
}
