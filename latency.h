/* SPDX-License-Identifier: Apache-2.0 */
/* latency.h: the delivery latency histogram the status page shows: its
 * bucket bounds, which bucket a latency counts in, and which bound a
 * quantile lies under. Plain C, no httpd: unit-tested alone. */
#ifndef KU_LATENCY_H
#define KU_LATENCY_H

#include <stdint.h>

/* Bounds in ms; one more bucket after the last for everything above it. */
#define KU_LATENCY_BOUNDS 13
#define KU_BUCKETS (KU_LATENCY_BOUNDS + 1)
extern const int ku_latency_le_ms[KU_LATENCY_BOUNDS];

/* The bucket a latency (µs) counts in: the first bound it does not pass,
 * KU_BUCKETS - 1 above the last bound. */
int ku_latency_bucket(int64_t latency_us);

/* The bucket holding quantile q (0..1) of the counts (not cumulative);
 * -1 when there are none. KU_BUCKETS - 1 means "above the last bound":
 * no upper bound is known there, so none may be shown. */
int ku_latency_quantile_bucket(const uint64_t bucket[KU_BUCKETS], double q);

#endif
