/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the spool's segment file format (spool_format.c): a record
 * written comes back the same; a segment's records and done entries are
 * found; a torn or corrupt entry ends the scan where it starts. */
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "spool_format.h"
#include "check.h"

static apr_pool_t *pool;

static ku_spool_record_t sample(const char *key, int with_headers)
{
    apr_array_header_t *h = apr_array_make(pool, 2, sizeof(ku_header_t));
    ku_header_t *one = apr_array_push(h), *two = apr_array_push(h);
    ku_spool_record_t rec = { 1700000000000000, 0x1234567890abcdefULL, "ku-topic", key,
                              key ? strlen(key) : 0, with_headers ? h : NULL,
                              "value\0bytes", 11 };

    one->name = "content-type";
    one->value = "application/json";
    two->name = "ku-empty";
    two->value = "";
    return rec;
}

/* A segment of the given entries, concatenated. */
static char *segment(apr_size_t *size, const char *const *entries, const uint32_t *lens, int n)
{
    apr_size_t total = 0, at = 0;
    char *buf;
    int i;

    for (i = 0; i < n; i++)
        total += KU_SPOOL_HEADER + lens[i];
    buf = apr_palloc(pool, total + 1);
    for (i = 0; i < n; i++) {
        memcpy(buf + at, entries[i], KU_SPOOL_HEADER + lens[i]);
        at += KU_SPOOL_HEADER + lens[i];
    }
    *size = total;
    return buf;
}

static char *done_entry(const uint64_t *offsets, int n, uint32_t *len)
{
    ku_spool_header_t h = { KU_SPOOL_MAGIC, KU_SPOOL_DONE, (uint32_t)(n * 8), 0 };
    char *buf = apr_palloc(pool, KU_SPOOL_HEADER + h.len);

    memcpy(buf + KU_SPOOL_HEADER, offsets, h.len);
    h.crc = ku_spool_entry_crc(KU_SPOOL_DONE, h.len, buf + KU_SPOOL_HEADER);
    memcpy(buf, &h, sizeof(h));
    *len = h.len;
    return buf;
}

static void test_crc(void)
{
    /* crc32c's check value (RFC 3720, Appendix B.4). */
    CHECK("crc32c of \"123456789\" is e3069283", ku_spool_crc(0, "123456789", 9) == 0xe3069283u);
    CHECK("crc32c of nothing is 0", ku_spool_crc(0, "", 0) == 0);
}

static void test_round_trip(void)
{
    ku_spool_record_t in = sample("k\0ey", 1), out;
    ku_spool_header_t hd;
    uint32_t len;
    char *buf;
    const ku_header_t *h;

    in.key_len = 4;
    buf = ku_spool_encode_record(pool, &in, &len);
    CHECK("the entry is valid", ku_spool_valid_entry(buf, 0, KU_SPOOL_HEADER + len, &hd)
          && hd.type == KU_SPOOL_RECORD && hd.len == len);
    CHECK("the record decodes", ku_spool_decode_record(pool, buf + KU_SPOOL_HEADER, len, &out) == 0);
    CHECK("accept time and producer kept", out.accepted == in.accepted
          && out.producer == in.producer);
    CHECK("topic kept", !strcmp(out.topic, "ku-topic"));
    CHECK("a key with a NUL kept", out.key_len == 4 && !memcmp(out.key, "k\0ey", 4));
    CHECK("a value with a NUL kept", out.value_len == 11 && !memcmp(out.value, "value\0bytes", 11));
    h = (const ku_header_t *)out.headers->elts;
    CHECK("headers kept, in order", out.headers->nelts == 2 && !strcmp(h[0].name, "content-type")
          && !strcmp(h[0].value, "application/json") && !strcmp(h[1].name, "ku-empty")
          && !strcmp(h[1].value, ""));

    in = sample(NULL, 0);
    buf = ku_spool_encode_record(pool, &in, &len);
    CHECK("no key stays no key", ku_spool_decode_record(pool, buf + KU_SPOOL_HEADER, len, &out) == 0
          && out.key == NULL && out.headers->nelts == 0);
    in.key = "";
    in.key_len = 0;
    buf = ku_spool_encode_record(pool, &in, &len);
    CHECK("an empty key is a key", ku_spool_decode_record(pool, buf + KU_SPOOL_HEADER, len, &out) == 0
          && out.key != NULL && out.key_len == 0);
    CHECK("a payload one byte short is not a record",
          ku_spool_decode_record(pool, buf + KU_SPOOL_HEADER, len - 1, &out) == -1);
    CHECK("a payload shorter than the fixed part is not a record",
          ku_spool_decode_record(pool, buf + KU_SPOOL_HEADER, 8, &out) == -1);
}

static void test_segment(void)
{
    ku_spool_record_t a = sample("a", 1), b = sample(NULL, 0);
    const char *entries[4];
    uint32_t lens[4];
    uint64_t done;
    ku_scanned_record_t *found;
    unsigned n;
    apr_size_t size;
    apr_off_t end;
    char *buf;

    entries[0] = ku_spool_encode_record(pool, &a, &lens[0]);
    b.producer = 7;
    entries[1] = ku_spool_encode_record(pool, &b, &lens[1]);
    done = 0; /* the first record's offset */
    entries[2] = done_entry(&done, 1, &lens[2]);
    buf = segment(&size, entries, lens, 3);
    end = ku_spool_parse_segment(buf, (apr_off_t)size, &found, &n);
    CHECK("a whole segment is read to its end", end == (apr_off_t)size);
    CHECK("its two records are found, in order", n == 2 && found[0].offset == 0
          && found[1].offset == KU_SPOOL_HEADER + lens[0] && found[1].producer == 7);
    CHECK("the done entry marks the first only", n == 2 && found[0].done && !found[1].done);
    free(found);

    /* Torn: the last entry cut short, as a crash in the middle of a write. */
    end = ku_spool_parse_segment(buf, (apr_off_t)size - 3, &found, &n);
    CHECK("a torn last entry ends the scan where it starts",
          end == (apr_off_t)(2 * KU_SPOOL_HEADER + lens[0] + lens[1]) && n == 2
          && !found[0].done);
    free(found);

    /* Corrupt: a flipped payload byte of the second record. */
    buf[KU_SPOOL_HEADER + lens[0] + KU_SPOOL_HEADER + 20] ^= 1;
    end = ku_spool_parse_segment(buf, (apr_off_t)size, &found, &n);
    CHECK("a corrupt entry ends the scan where it starts",
          end == (apr_off_t)(KU_SPOOL_HEADER + lens[0]) && n == 1);
    free(found);

    end = ku_spool_parse_segment(buf, 0, &found, &n);
    CHECK("an empty segment has nothing", end == 0 && n == 0 && found == NULL);
    CHECK("a buffer of zeros has no entry", ku_spool_parse_segment(apr_pcalloc(pool, 64), 64,
                                                                   &found, &n) == 0 && n == 0);
    free(found);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_crc();
    test_round_trip();
    test_segment();
    printf("%d passed, %d failed\n", passed, failed);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed != 0;
}
