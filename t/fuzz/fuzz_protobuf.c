/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_protobuf.c - libFuzzer target for protobuf_encode.cc's ku_pb_encode:
 * a request body turned into a Protobuf message by libprotobuf's proto3
 * JSON mapping, for a schema with every kind of field (scalars, enum,
 * oneof, map, repeated, nested and imported messages, and the well-known
 * Timestamp, Duration, Struct, wrappers, FieldMask and Any).
 *
 * Input: the body, as is.
 * Invariants: ku_pb_encode answers 0 with the Confluent header (magic 0,
 * id 7 big endian) and the message indexes of the second message
 * (02 02) before the bytes, or -1 with an error message; never both,
 * never neither. Sanitizers check the rest (the C++ file is built with
 * ASan and UBSan too: t/fuzz/run.sh).
 */
#include "fuzz_common.h"
#include "protobuf_encode.h"

static const char fz_proto[] =
    "syntax = \"proto3\";\n"
    "package fz;\n"
    "import \"dep.proto\";\n"
    "import \"google/protobuf/timestamp.proto\";\n"
    "import \"google/protobuf/duration.proto\";\n"
    "import \"google/protobuf/struct.proto\";\n"
    "import \"google/protobuf/wrappers.proto\";\n"
    "import \"google/protobuf/field_mask.proto\";\n"
    "import \"google/protobuf/any.proto\";\n"
    "message First { int32 a = 1; }\n"
    "message All {\n"
    "  enum Color { RED = 0; GREEN = 1; }\n"
    "  message Inner { string s = 1; repeated Inner kids = 2; }\n"
    "  int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4; sint32 s32 = 5;\n"
    "  sint64 s64 = 6; fixed32 f32 = 7; fixed64 f64 = 8; sfixed32 sf32 = 9;\n"
    "  sfixed64 sf64 = 10; float fl = 11; double db = 12; bool b = 13; string str = 14;\n"
    "  bytes by = 15; Color color = 16; Inner inner = 17; repeated int32 nums = 18;\n"
    "  map<string, Inner> by_name = 19; map<int64, string> by_num = 20;\n"
    "  oneof choice { string one = 21; int32 two = 22; }\n"
    "  dep.Dep dep = 23; google.protobuf.Timestamp ts = 24;\n"
    "  google.protobuf.Duration dur = 25; google.protobuf.Struct st = 26;\n"
    "  google.protobuf.Value val = 27; google.protobuf.Int64Value w64 = 28;\n"
    "  google.protobuf.FieldMask mask = 29; google.protobuf.Any any = 30;\n"
    "  optional string opt = 31; repeated Color colors = 32;\n"
    "}\n";
static const ku_pb_file_t fz_deps[] = {
    { "dep.proto", "syntax = \"proto3\";\npackage dep;\nmessage Dep { string d = 1; }\n" },
};
static ku_pb_schema_t *fz_schema;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *error = NULL;
    char *out = NULL;
    size_t len = 0;
    int rc;

    if (!fz_schema) {
        char why[512];

        fz_schema = ku_pb_schema_parse(fz_proto, fz_deps, 1, "fz.All", why, sizeof(why));
        FZ_CHECK(fz_schema != NULL, why);
    }
    rc = ku_pb_encode(fz_pool, fz_schema, 7, (const char *)data, size, &out, &len, &error);
    if (rc == 0)
        FZ_CHECK(len >= 7 && !memcmp(out, "\0\0\0\0\7\2\2", 7),
                 "the header and the message indexes [1] come first");
    else
        FZ_CHECK(rc == -1 && error && *error, "a refusal says why");
    apr_pool_clear(fz_pool);
    return 0;
}
