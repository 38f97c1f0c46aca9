/* SPDX-License-Identifier: Apache-2.0 */
/* schema_ref.h: one schema a registry subject references, for the
 * registry client (schema_registry.c) and the Avro inliner (avro_refs.c).
 * No httpd. */
#ifndef KU_SCHEMA_REF_H
#define KU_SCHEMA_REF_H

/* One referenced schema: its name (a Protobuf import path, an Avro full
 * name) and text. */
typedef struct {
    const char *name;
    const char *schema;
} ku_sr_ref_t;

#endif
