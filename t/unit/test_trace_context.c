/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for trace_context.c: the traceparent format rules of W3C
 * Trace Context and the ones the module makes (README "Trace context"). */
#include <string.h>

#include <apr_general.h>

#include "trace_context.h"
#include "check.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void test_valid(void)
{
    CHECK("the specification's example", ku_traceparent_valid(TP));
    CHECK("flags 00", ku_traceparent_valid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
    CHECK("upper-case hex", !ku_traceparent_valid("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    CHECK("all-zero trace-id", !ku_traceparent_valid("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
    CHECK("all-zero parent-id", !ku_traceparent_valid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
    CHECK("version ff", !ku_traceparent_valid("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    CHECK("version 00 with more", !ku_traceparent_valid(TP "-00"));
    CHECK("a later version with more", ku_traceparent_valid("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what"));
    CHECK("a later version, more without '-'", !ku_traceparent_valid("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
    CHECK("short trace-id", !ku_traceparent_valid("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));
    CHECK("wrong separator", !ku_traceparent_valid("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    CHECK("bad flags", !ku_traceparent_valid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"));
    CHECK("two joined by a comma", !ku_traceparent_valid(TP ", " TP));
    CHECK("empty", !ku_traceparent_valid(""));
}

static void test_new(apr_pool_t *p)
{
    const char *a = ku_traceparent_new(p), *b = ku_traceparent_new(p);

    CHECK("a new one is valid", a && ku_traceparent_valid(a));
    CHECK("version 00, sampled", a && !strncmp(a, "00-", 3) && !strcmp(a + 52, "-01"));
    CHECK("two differ", a && b && strcmp(a, b));
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_valid();
    test_new(p);
    printf("%d passed, %d failed\n", passed, failed);
    apr_pool_destroy(p);
    apr_terminate();
    return failed != 0;
}
