/* SPDX-License-Identifier: Apache-2.0 */
/* spool_format.h: the spool's segment file format (README "The spool"),
 * httpd-free: a segment file outlives the child that wrote it and its
 * crashes, so what reads it back is unit tested (t/unit/test_spool_format.c)
 * and fuzzed (fuzz_spool_segment).
 *
 * A segment file is a log of entries, each a 16-byte header (magic, type,
 * payload length, crc32c of type, length and payload) and its payload:
 *   record: accept time, producer-key hash, topic, key, headers, value;
 *   done:   the offsets of records Kafka acknowledged (or dead-lettered).
 * Numbers are in the host's byte order: a segment is read back on the
 * machine that wrote it. */
#ifndef KU_SPOOL_FORMAT_H
#define KU_SPOOL_FORMAT_H

#include <stdint.h>

#include "apr_pools.h"
#include "apr_tables.h"
#include "record_header.h"

#define KU_SPOOL_MAGIC 0x3153554bu /* "KUS1" */
#define KU_SPOOL_RECORD 1u
#define KU_SPOOL_DONE 2u
#define KU_SPOOL_HEADER 16

typedef struct {
    uint32_t magic, type, len, crc;
} ku_spool_header_t;

/* The payload of a record, before its variable parts. */
typedef struct {
    int64_t accepted;           /* apr_time_t */
    uint64_t producer;          /* hash of the producer key */
    uint32_t topic_len, key_len, nheaders, value_len; /* key_len ~0: no key */
} ku_spool_fixed_t;

/* A record as the spool keeps it. */
typedef struct {
    int64_t accepted;           /* apr_time_t */
    uint64_t producer;          /* hash of the producer key */
    const char *topic;
    const char *key;            /* NULL: no key */
    size_t key_len;
    const apr_array_header_t *headers; /* ku_header_t, text (value_len 0), or NULL */
    const char *value;
    size_t value_len;
} ku_spool_record_t;

/* A record entry found in a segment, and whether a done entry names it. */
typedef struct {
    apr_off_t offset;           /* of its header */
    uint32_t len;               /* payload bytes */
    int done;
    int64_t accepted;
    uint64_t producer;
} ku_scanned_record_t;

/* crc32c (Castagnoli). */
uint32_t ku_spool_crc(uint32_t crc, const void *data, size_t len);
/* The crc an entry's header holds: of its type, length and payload. */
uint32_t ku_spool_entry_crc(uint32_t type, uint32_t len, const void *payload);

/* A record entry, header and payload in one buffer (for one write(2));
 * *len: the payload's bytes. */
char *ku_spool_encode_record(apr_pool_t *p, const ku_spool_record_t *rec, uint32_t *len);

/* A record entry's payload; the record's key and value point into it, its
 * topic and headers are copies. 0, or -1 when it is not a whole record. */
int ku_spool_decode_record(apr_pool_t *p, const char *payload, uint32_t len,
                           ku_spool_record_t *rec);

/* Whether buf (size bytes) holds a whole, intact entry at offset at; its
 * header in *h. */
int ku_spool_valid_entry(const char *buf, apr_off_t at, apr_off_t size, ku_spool_header_t *h);

/* A segment's records, in file order, and which are done; returns the end
 * of its last valid entry (what follows is torn or corrupt). *found is
 * malloc'd (NULL when none); a failed allocation ends the scan early. */
apr_off_t ku_spool_parse_segment(const char *buf, apr_off_t size, ku_scanned_record_t **found,
                                 unsigned *n);

#endif
