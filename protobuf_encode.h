/* SPDX-License-Identifier: Apache-2.0 */
/* protobuf_encode.h: a JSON document as a Protobuf message in the Confluent
 * wire format, for a .proto text the registry returned (libprotobuf's
 * parser, DescriptorPool, DynamicMessageFactory and JSON mapping, in
 * protobuf_encode.cc). No httpd. Built only with libprotobuf (configure
 * --with-protobuf); without it ku_pb_available() is 0 and parsing fails
 * with a message that says so (protobuf_stub.c). */
#ifndef KU_PROTOBUF_ENCODE_H
#define KU_PROTOBUF_ENCODE_H

#include <stddef.h>
#include "apr_pools.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what the registry hands us (README: Schema Registry). */
#define KU_PB_MAX_PROTO_BYTES (256 * 1024)    /* one .proto text */
#define KU_PB_MAX_FILES 32                    /* the main file and its imports */
#define KU_PB_MAX_IMPORT_DEPTH 8
#define KU_PB_MAX_JSON_DEPTH 64               /* a body's arrays and objects */

typedef struct ku_pb_schema ku_pb_schema_t;

/* An imported file: its import path and its text. */
typedef struct {
    const char *name;
    const char *text;
} ku_pb_file_t;

/* 1 when this build has Protobuf support. */
int ku_pb_available(void);

/* Parses main_text with the imports in files[0..nfiles) (any order;
 * google/protobuf/'s well-known types are built in) and picks the message
 * named message (its full name, e.g. pkg.Order), or the file's first when
 * message is NULL. NULL and why on failure. Free with ku_pb_schema_free. */
ku_pb_schema_t *ku_pb_schema_parse(const char *main_text, const ku_pb_file_t *files,
                                   int nfiles, const char *message, char *why,
                                   size_t why_len);
void ku_pb_schema_free(ku_pb_schema_t *s);

/* The chosen message's full name. */
const char *ku_pb_message_name(const ku_pb_schema_t *s);

/* Encodes the JSON text doc[0..len) (proto3 JSON mapping; unknown fields
 * refused) as: 0x00, id (4 bytes big endian), the message indexes (zig-zag
 * varints: a single 0 for the file's first message, else the count and
 * the index at each nesting level), the Protobuf bytes. Returns 0, or -1
 * with *error naming the offending field. */
int ku_pb_encode(apr_pool_t *p, const ku_pb_schema_t *s, int id, const char *doc, size_t len,
                 char **out, size_t *out_len, const char **error);

#ifdef __cplusplus
}
#endif

#endif
