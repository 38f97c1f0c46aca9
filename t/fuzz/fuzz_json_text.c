/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json_text.c - libFuzzer target for json_text.c's ku_json_compact,
 * the envelope's way around json-c for common JSON bodies.
 *
 * Input: the body, as is (inputs with a NUL or invalid UTF-8 are skipped:
 * encoder.c refuses those before it asks).
 * Invariants, whenever ku_json_compact answers: the input is RFC 8259 JSON
 * (the harness's own grammar) no deeper than 32, json-c's strict tokener
 * takes it, and the answer is byte for byte what json-c prints.
 */
#include "fuzz_common.h"
#include "json_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_bytes(data, size);
    const char *text;
    apr_size_t len;
    int depth = 0, ok = 0;

    if (!memchr(s, '\0', size) && fz_utf8_valid(s, size)
        && ku_json_compact(fz_pool, s, size, &text, &len)) {
        json_object *obj;
        const char *printed;

        FZ_CHECK(fz_json_grammar(s, size, &depth) && depth <= FZ_JSON_DEPTH,
                 "answered for RFC 8259 JSON only, 32 deep at most");
        obj = fz_jsonc_parse(s, size, FZ_JSON_DEPTH + 1, &ok);
        FZ_CHECK(ok && obj, "json-c takes what was answered for (never null)");
        printed = json_object_to_json_string_ext(
            obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        FZ_CHECK(strlen(printed) == len && !memcmp(printed, text, len),
                 "the answer is json-c's own print");
        json_object_put(obj);
    }
    free(s);
    apr_pool_clear(fz_pool);
    return 0;
}
