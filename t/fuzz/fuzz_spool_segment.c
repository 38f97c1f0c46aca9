/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_spool_segment.c - libFuzzer target for the spool's segment file
 * format (spool_format.c): the input is a segment file, as a crash may
 * leave it (torn, corrupt, any bytes).
 *  1. the scan ends within the file, at an entry boundary: its records are
 *     in file order, each a valid record entry before that end, and a
 *     second scan of the file cut there finds the same;
 *  2. a record found that decodes, written again and read back, is the
 *     same record (accept time, producer, topic, key, headers, value);
 *  3. the same for the whole input read as a record's payload: the crc
 *     keeps most mutated files from reaching the decoder, so it is also
 *     fed directly.
 */
#include "fuzz_common.h"
#include "spool_format.h"

static int same_record(const ku_spool_record_t *a, const ku_spool_record_t *b)
{
    const ku_header_t *ha, *hb;
    int i;

    if (a->accepted != b->accepted || a->producer != b->producer || strcmp(a->topic, b->topic)
        || !a->key != !b->key || a->key_len != b->key_len
        || (a->key && memcmp(a->key, b->key, a->key_len)) || a->value_len != b->value_len
        || memcmp(a->value, b->value, a->value_len) || a->headers->nelts != b->headers->nelts)
        return 0;
    ha = (const ku_header_t *)a->headers->elts;
    hb = (const ku_header_t *)b->headers->elts;
    for (i = 0; i < a->headers->nelts; i++)
        if (strcmp(ha[i].name, hb[i].name) || strcmp(ha[i].value, hb[i].value))
            return 0;
    return 1;
}

/* A payload that decodes reads back the same once written again. */
static void check_round_trip(apr_pool_t *p, const ku_spool_record_t *once)
{
    ku_spool_record_t twice;
    uint32_t len;
    char *again = ku_spool_encode_record(p, once, &len);

    FZ_CHECK(ku_spool_decode_record(p, again + KU_SPOOL_HEADER, len, &twice) == 0,
             "a record written again reads back");
    FZ_CHECK(same_record(once, &twice), "a record written again is the same record");
}

static void check_record(apr_pool_t *p, const char *buf, const ku_scanned_record_t *r)
{
    ku_spool_record_t once;

    if (ku_spool_decode_record(p, buf + r->offset + KU_SPOOL_HEADER, r->len, &once))
        return;
    FZ_CHECK(once.accepted == r->accepted && once.producer == r->producer,
             "the scan and the decoder read the same fixed part");
    check_round_trip(p, &once);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool;
    char *buf = malloc(size ? size : 1); /* exact: ASan sees a read past the end */
    ku_scanned_record_t *found, *again;
    unsigned n, n_again, i;
    apr_off_t end;
    ku_spool_header_t h;
    ku_spool_record_t rec;

    memcpy(buf, data, size);
    if (ku_spool_decode_record(p, buf, (uint32_t)size, &rec) == 0)
        check_round_trip(p, &rec);
    end = ku_spool_parse_segment(buf, (apr_off_t)size, &found, &n);
    FZ_CHECK(end >= 0 && end <= (apr_off_t)size, "the scan ends within the file");
    for (i = 0; i < n; i++) {
        FZ_CHECK(i == 0 || found[i].offset > found[i - 1].offset, "records in file order");
        FZ_CHECK(found[i].offset + KU_SPOOL_HEADER + (apr_off_t)found[i].len <= end,
                 "each record lies before the scan's end");
        FZ_CHECK(ku_spool_valid_entry(buf, found[i].offset, end, &h) && h.type == KU_SPOOL_RECORD
                 && h.len == found[i].len, "each record is a valid record entry");
        check_record(p, buf, &found[i]);
    }
    FZ_CHECK(ku_spool_parse_segment(buf, end, &again, &n_again) == end && n_again == n,
             "the file cut at the scan's end scans the same");
    for (i = 0; i < n; i++)
        FZ_CHECK(again[i].offset == found[i].offset && again[i].done == found[i].done,
                 "the same records, the same done marks");
    free(again);
    free(found);
    free(buf);
    apr_pool_clear(p);
    return 0;
}
