/* SPDX-License-Identifier: Apache-2.0 */
/* avro_refs.h: an Avro schema whose named types come from the registry's
 * references, made whole for Avro C (which cannot be handed named types
 * from outside). No httpd. */
#ifndef KU_AVRO_REFS_H
#define KU_AVRO_REFS_H

#include "apr_pools.h"
#include "schema_ref.h"

/* The schema text with the first use of each referenced full name replaced
 * by the referenced schema (refs[i].name, refs[i].schema; a reference's
 * own references come before it in refs), so that Avro C meets each
 * named type's definition before its other uses. NULL and *error when a
 * text is no JSON. */
const char *ku_avro_inline_refs(apr_pool_t *p, const char *schema, const ku_sr_ref_t *refs,
                                int nrefs, const char **error);

#endif
