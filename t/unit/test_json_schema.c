/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for json_schema.c: the official JSON-Schema-Test-Suite
 * (Debian's json-schema-test-suite; KU_JSON_SCHEMA_SUITE overrides the
 * directory) for every draft-07 file whose keywords json_schema.c supports,
 * then cases of our own: the paths errors name and the keywords refused.
 * A group whose schema json_schema.c refuses (a keyword it does not
 * support) is listed and counted apart, never as passed. Ends with
 * "N passed, M failed"; exits non-zero when anything failed.
 */
#include <stdlib.h>
#include <string.h>

#include "json_schema.h"
#include "t/unit/check.h"

/* The draft7 files that json_schema.c covers. Left out (README: JSON Schema):
 * definitions.json and refRemote.json (they reference the draft-07
 * meta-schema and other documents by URL: remote references are not
 * supported). */
static const char *const files[] = {
    "additionalItems", "additionalProperties", "allOf", "anyOf", "boolean_schema", "const",
    "contains", "default", "dependencies", "enum", "exclusiveMaximum", "exclusiveMinimum",
    "if-then-else", "items", "maxItems", "maxLength", "maxProperties", "maximum", "minItems",
    "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern",
    "patternProperties", "properties", "propertyNames", "ref", "required", "type",
    "uniqueItems",
};

static int refused_groups, refused_tests;

static void run_file(const char *dir, const char *name)
{
    char path[900], err[512], label[2048];
    json_object *groups;
    size_t g, t;

    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    groups = json_object_from_file(path);
    snprintf(label, sizeof(label), "%s: readable", path);
    CHECK(label, json_object_is_type(groups, json_type_array));
    for (g = 0; groups && g < json_object_array_length(groups); g++) {
        json_object *group = json_object_array_get_idx(groups, g), *schema, *tests, *desc;
        ku_js_schema_t *s;

        json_object_object_get_ex(group, "schema", &schema);
        json_object_object_get_ex(group, "tests", &tests);
        json_object_object_get_ex(group, "description", &desc);
        if (!(s = ku_js_compile_json(schema, err, sizeof(err)))) {
            refused_groups++;
            refused_tests += (int)json_object_array_length(tests);
            printf("REFUSED %s: %s: %s\n", name, json_object_get_string(desc), err);
            continue;
        }
        for (t = 0; t < json_object_array_length(tests); t++) {
            json_object *test = json_object_array_get_idx(tests, t), *data, *valid, *tdesc;

            json_object_object_get_ex(test, "data", &data);
            json_object_object_get_ex(test, "valid", &valid);
            json_object_object_get_ex(test, "description", &tdesc);
            snprintf(label, sizeof(label), "%s: %s: %s", name, json_object_get_string(desc),
                     json_object_get_string(tdesc));
            CHECK(label, ku_js_validate(s, data, err, sizeof(err))
                             == json_object_get_boolean(valid));
        }
        ku_js_free(s);
    }
    json_object_put(groups);
}

/* Validates doc with schema; wants the error to start with want (NULL: valid). */
static void expect(const char *label, const char *schema, const char *doc, const char *want)
{
    char err[512] = "";
    ku_js_schema_t *s = ku_js_compile(schema, err, sizeof(err));
    json_object *d = json_tokener_parse(doc);
    int ok = s ? ku_js_validate(s, d, err, sizeof(err)) : 0;

    if (!(want ? !ok && !strncmp(err, want, strlen(want)) : ok))
        printf("     got: %s\n", s ? (ok ? "valid" : err) : err);
    CHECK(label, want ? !ok && !strncmp(err, want, strlen(want)) : ok);
    ku_js_free(s);
    json_object_put(d);
}

/* Wants compiling to fail with an error containing want. */
static void refused(const char *label, const char *schema, const char *want)
{
    char err[512] = "";
    ku_js_schema_t *s = ku_js_compile(schema, err, sizeof(err));

    if (s || !strstr(err, want))
        printf("     got: %s\n", s ? "compiled" : err);
    CHECK(label, !s && strstr(err, want));
    ku_js_free(s);
}

static void own_cases(void)
{
    const char *order = "{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
                        "\"id\":{\"type\":\"integer\"},\"items\":{\"type\":\"array\","
                        "\"items\":{\"type\":\"string\",\"maxLength\":3}},"
                        "\"a b\":{\"enum\":[1,2]}},\"additionalProperties\":false}";

    expect("valid order", order, "{\"id\":1,\"items\":[\"x\"],\"a b\":2.0}", NULL);
    expect("path of an array item", order, "{\"id\":1,\"items\":[\"x\",7]}",
           "$.items[1]: must be of type string");
    expect("path of a missing property", order, "{\"items\":[]}", "$.id: is required");
    expect("path of an extra property", order, "{\"id\":1,\"zz\":0}",
           "$.zz: is not allowed (additionalProperties)");
    expect("a name that is no identifier", order, "{\"id\":1,\"a b\":3}", "$['a b']: must be one of");
    expect("maxLength counts characters", order, "{\"id\":1,\"items\":[\"Zoë\"]}", NULL);
    expect("the first failure is named", order, "{\"id\":\"x\",\"items\":[1]}",
           "$.id: must be of type integer");
    expect("$ref into definitions",
           "{\"definitions\":{\"n\":{\"minimum\":3}},\"items\":{\"$ref\":\"#/definitions/n\"}}",
           "[5,1]", "$[1]: must be at least 3");
    expect("pattern is unanchored, $ is the end",
           "{\"pattern\":\"b$\"}", "\"ab\\n\"", "$: must match the pattern b$");
    refused("format is refused", "{\"properties\":{\"d\":{\"format\":\"date\"}}}",
            "#/properties/d: keyword 'format' is not supported");
    refused("contentEncoding is refused", "{\"contentEncoding\":\"base64\"}", "'contentEncoding'");
    refused("a remote $ref is refused", "{\"$ref\":\"http://example.com/s.json\"}", "'$ref'");
    refused("a $ref that does not resolve", "{\"$ref\":\"#/definitions/none\"}", "'$ref'");
    refused("$id below the root", "{\"items\":{\"$id\":\"x\"}}", "'$id'");
    refused("a pattern PCRE2 refuses", "{\"pattern\":\"(\"}", "PCRE2");
    refused("a bad type", "{\"type\":\"int\"}", "not a JSON Schema type");
    refused("not JSON", "{", "not JSON");
}

int main(void)
{
    const char *dir = getenv("KU_JSON_SCHEMA_SUITE");
    size_t i;

    if (!dir)
        dir = "/usr/share/json-schema-test-suite/tests/draft7";
    for (i = 0; i < sizeof(files) / sizeof(*files); i++)
        run_file(dir, files[i]);
    own_cases();
    printf("suite: %d group(s) refused (%d tests not run), listed above\n", refused_groups,
           refused_tests);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
