/* SPDX-License-Identifier: Apache-2.0 */
/* spool_format.c: the spool's segment file format (see spool_format.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"

#include "spool_format.h"

/* --- crc32c (Castagnoli), table-driven --------------------------------------- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    uint32_t i, j, c;

    for (i = 0; i < 256; i++) {
        for (c = i, j = 0; j < 8; j++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t ku_spool_crc(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;

    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint32_t ku_spool_entry_crc(uint32_t type, uint32_t len, const void *payload)
{
    uint32_t head[2] = { type, len };

    return ku_spool_crc(ku_spool_crc(0, head, sizeof(head)), payload, len);
}

/* --- records -------------------------------------------------------------------- */

static void append_bytes(char **p, const void *data, size_t len)
{
    memcpy(*p, data, len);
    *p += len;
}

char *ku_spool_encode_record(apr_pool_t *pool, const ku_spool_record_t *rec, uint32_t *len)
{
    const ku_header_t *h = rec->headers ? (const ku_header_t *)rec->headers->elts : NULL;
    int i, nh = rec->headers ? rec->headers->nelts : 0;
    ku_spool_fixed_t f = { rec->accepted, rec->producer, (uint32_t)strlen(rec->topic),
                           rec->key ? (uint32_t)rec->key_len : ~0u, (uint32_t)nh,
                           (uint32_t)rec->value_len };
    size_t n = sizeof(f) + f.topic_len + (rec->key ? rec->key_len : 0) + rec->value_len;
    ku_spool_header_t hd = { KU_SPOOL_MAGIC, KU_SPOOL_RECORD, 0, 0 };
    char *buf, *p;

    for (i = 0; i < nh; i++)
        n += 8 + strlen(h[i].name) + strlen(h[i].value);
    p = buf = apr_palloc(pool, KU_SPOOL_HEADER + n);
    p += KU_SPOOL_HEADER;
    append_bytes(&p, &f, sizeof(f));
    append_bytes(&p, rec->topic, f.topic_len);
    if (rec->key)
        append_bytes(&p, rec->key, rec->key_len);
    for (i = 0; i < nh; i++) {
        uint32_t l[2] = { (uint32_t)strlen(h[i].name), (uint32_t)strlen(h[i].value) };

        append_bytes(&p, l, sizeof(l));
        append_bytes(&p, h[i].name, l[0]);
        append_bytes(&p, h[i].value, l[1]);
    }
    append_bytes(&p, rec->value, rec->value_len);
    hd.len = (uint32_t)n;
    hd.crc = ku_spool_entry_crc(KU_SPOOL_RECORD, hd.len, buf + KU_SPOOL_HEADER);
    memcpy(buf, &hd, sizeof(hd));
    *len = hd.len;
    return buf;
}

/* Steps *p over n bytes, when there are that many before end. */
static int take(const char **p, const char *end, size_t n)
{
    if ((size_t)(end - *p) < n)
        return -1;
    *p += n;
    return 0;
}

int ku_spool_decode_record(apr_pool_t *p, const char *buf, uint32_t len, ku_spool_record_t *rec)
{
    const char *at = buf, *end = buf + len, *s;
    ku_spool_fixed_t f;
    apr_array_header_t *headers;
    uint32_t i, l[2];

    memset(rec, 0, sizeof(*rec));
    if (len < sizeof(f))
        return -1;
    memcpy(&f, buf, sizeof(f));
    at += sizeof(f);
    rec->accepted = f.accepted;
    rec->producer = f.producer;
    s = at;
    if (take(&at, end, f.topic_len))
        return -1;
    rec->topic = apr_pstrmemdup(p, s, f.topic_len);
    if (f.key_len != ~0u) {
        rec->key = at;
        rec->key_len = f.key_len;
        if (take(&at, end, f.key_len))
            return -1;
    }
    /* Each header takes 8 bytes at least: more than fit is not a record. */
    if (f.nheaders > (uint32_t)(end - at) / 8)
        return -1;
    headers = apr_array_make(p, (int)f.nheaders + 1, sizeof(ku_header_t));
    for (i = 0; i < f.nheaders; i++) {
        ku_header_t *h = apr_array_push(headers);

        if ((size_t)(end - at) < sizeof(l))
            return -1;
        memcpy(l, at, sizeof(l));
        at += sizeof(l);
        s = at;
        if (take(&at, end, (size_t)l[0] + l[1]))
            return -1;
        h->name = apr_pstrmemdup(p, s, l[0]);
        h->value = apr_pstrmemdup(p, s + l[0], l[1]);
        h->value_len = 0;
    }
    rec->headers = headers;
    rec->value = at;
    rec->value_len = f.value_len;
    return take(&at, end, f.value_len) || at != end ? -1 : 0;
}

/* --- segments ------------------------------------------------------------------- */

int ku_spool_valid_entry(const char *buf, apr_off_t at, apr_off_t size, ku_spool_header_t *h)
{
    if (size - at < KU_SPOOL_HEADER)
        return 0;
    memcpy(h, buf + at, sizeof(*h));
    return h->magic == KU_SPOOL_MAGIC && (apr_off_t)h->len <= size - at - KU_SPOOL_HEADER
           && ((h->type == KU_SPOOL_RECORD && h->len >= sizeof(ku_spool_fixed_t))
               || (h->type == KU_SPOOL_DONE && h->len % sizeof(uint64_t) == 0))
           && h->crc == ku_spool_entry_crc(h->type, h->len, buf + at + KU_SPOOL_HEADER);
}

/* The record at offset, by binary search: found is in file order. */
static ku_scanned_record_t *find_record(ku_scanned_record_t *found, unsigned n, uint64_t offset)
{
    unsigned lo = 0, hi = n;

    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;

        if ((uint64_t)found[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && (uint64_t)found[lo].offset == offset ? &found[lo] : NULL;
}

apr_off_t ku_spool_parse_segment(const char *buf, apr_off_t size, ku_scanned_record_t **found,
                                 unsigned *n)
{
    unsigned cap = 0;
    apr_off_t at = 0;
    ku_spool_header_t h;

    *found = NULL;
    *n = 0;
    for (; at < size && ku_spool_valid_entry(buf, at, size, &h); at += KU_SPOOL_HEADER + h.len) {
        const char *payload = buf + at + KU_SPOOL_HEADER;
        ku_spool_fixed_t f;
        uint32_t i;

        if (h.type == KU_SPOOL_DONE) {
            for (i = 0; i < h.len / 8; i++) {
                uint64_t off;
                ku_scanned_record_t *r;

                memcpy(&off, payload + i * 8, 8);
                if ((r = find_record(*found, *n, off)))
                    r->done = 1;
            }
            continue;
        }
        if (*n == cap) {
            ku_scanned_record_t *grown = realloc(*found, (cap = cap ? cap * 2 : 256)
                                                         * sizeof(**found));

            if (!grown)
                return at;
            *found = grown;
        }
        memcpy(&f, payload, sizeof(f));
        (*found)[*n].offset = at;
        (*found)[*n].len = h.len;
        (*found)[*n].done = 0;
        (*found)[*n].accepted = f.accepted;
        (*found)[*n].producer = f.producer;
        (*n)++;
    }
    return at;
}
