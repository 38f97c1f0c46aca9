/* SPDX-License-Identifier: Apache-2.0 */
/* json_schema.h: a JSON Schema draft-07 validator for the core keywords
 * (json-c for the documents, PCRE2 for pattern and patternProperties).
 * No httpd, no APR: schemas live in the registry cache, beyond any pool.
 *
 * Validated: type, enum, const, multipleOf, maximum, exclusiveMaximum,
 * minimum, exclusiveMinimum, maxLength, minLength, pattern, items,
 * additionalItems, maxItems, minItems, uniqueItems, contains, maxProperties,
 * minProperties, required, properties, patternProperties,
 * additionalProperties, dependencies, propertyNames, if/then/else, allOf,
 * anyOf, oneOf, not, $ref within the document ("#" and "#/json/pointer"),
 * boolean schemas. Annotations taken as such: title, description, default,
 * examples, $comment, $schema, readOnly, writeOnly, definitions, and $id at
 * the root. Refused when compiled (the error names the keyword): format,
 * contentMediaType, contentEncoding, $id below the root, any other $ref.
 * Other keywords are not draft-07's: ignored, as the draft says. */
#ifndef KU_JSON_SCHEMA_H
#define KU_JSON_SCHEMA_H

#include <stddef.h>
#include <json-c/json.h>

typedef struct ku_js_schema ku_js_schema_t;

/* Compiles a schema given as text or as a json-c document (which is then
 * referenced, not copied). NULL with err[0..errlen) saying why: not JSON,
 * a keyword with a wrong value, an unsupported keyword, a $ref that does
 * not resolve, a pattern PCRE2 refuses. Free with ku_js_free. */
ku_js_schema_t *ku_js_compile(const char *text, char *err, size_t errlen);
ku_js_schema_t *ku_js_compile_json(json_object *schema, char *err, size_t errlen);
void ku_js_free(ku_js_schema_t *s);

/* 1 when doc is valid; else 0 with err holding the first offending path and
 * why, e.g. "$.items[1]: must be of type integer". Thread safe. */
int ku_js_validate(const ku_js_schema_t *s, json_object *doc, char *err, size_t errlen);

#endif
