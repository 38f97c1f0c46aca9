/* SPDX-License-Identifier: Apache-2.0 */
/* protobuf_stub.c: protobuf_encode.h for a build without libprotobuf
 * (configure found no libprotobuf-dev and libprotoc-dev): a PROTOBUF
 * subject is refused with a message that says why (README: Schema
 * Registry). No httpd. */
#include "apr_strings.h"

#include "protobuf_encode.h"

int ku_pb_available(void)
{
    return 0;
}

ku_pb_schema_t *ku_pb_schema_parse(const char *main_text, const ku_pb_file_t *files,
                                   int nfiles, const char *message, char *why,
                                   size_t why_len)
{
    (void)main_text, (void)files, (void)nfiles, (void)message;
    apr_cpystrn(why, "this build of mod_kafka_upstream has no Protobuf support (rebuild it "
                "with libprotobuf-dev and libprotoc-dev installed)", why_len);
    return NULL;
}

void ku_pb_schema_free(ku_pb_schema_t *s)
{
    (void)s;
}

const char *ku_pb_message_name(const ku_pb_schema_t *s)
{
    (void)s;
    return "";
}

int ku_pb_encode(apr_pool_t *p, const ku_pb_schema_t *s, int id, const char *doc, size_t len,
                 char **out, size_t *out_len, const char **error)
{
    (void)p, (void)s, (void)id, (void)doc, (void)len, (void)out, (void)out_len;
    *error = "no Protobuf support in this build";
    return -1;
}
