/* SPDX-License-Identifier: Apache-2.0 */
/* conf_int.h: what conf.c (the directive table, create/merge, getters) and
 * conf_cmds.c (the table's handlers) share: the section's config layout,
 * private to those two, and the handlers' declarations. */
#ifndef KU_CONF_INT_H
#define KU_CONF_INT_H

#include "conf.h"

/* Settings held as objects; a section that sets one replaces it whole. */
typedef enum {
    KU_OBJ_KEY_EXPR,          /* ap_expr_info_t: KafkaUpstreamKey */
    KU_OBJ_ALLOWED_TOPICS,    /* array of const char * */
    KU_OBJ_HEADERS_INCLUDE,   /* array of const char *, lower case */
    KU_OBJ_HEADERS_EXCLUDE,   /* array of const char *, lower case */
    KU_OBJ_HEADER_RENAME,     /* apr_table_t: from -> to */
    KU_OBJ_FIELDS,            /* array of ku_field_t */
    KU_OBJ_MESSAGE_LUA,       /* ku_lua_chunks_t: KafkaUpstreamMessageLua (lua_message.c) */
    KU_OBJ_COUNT
} ku_obj_t;

typedef enum { KU_SPOOL_UNSET = -1, KU_SPOOL_OFF, KU_SPOOL_ON } ku_spool_switch_t;

struct ku_dir_conf {
    int num[KU_NUM_COUNT];          /* -1: unset */
    int flag[KU_FLAG_COUNT];        /* -1: unset */
    const char *str[KU_STR_COUNT];  /* NULL: unset */
    signed char choice[KU_STR_COUNT]; /* a choice directive's word as its index
                                       * in the word list; -1: unset */
    const void *obj[KU_OBJ_COUNT];  /* NULL: unset */
    ku_spool_switch_t spool;        /* KafkaUpstreamSpool On|Off in a section */
    const char *section;            /* the <Location>/<Directory> path, for errors */
    apr_array_header_t *props;      /* KafkaUpstreamProperty: ku_prop_t, server-wide */
};

typedef struct {
    const char *directive;
    int def, min, max;
} ku_num_spec_t;

typedef struct {
    const char *directive;
    int def;
} ku_flag_spec_t;

/* The defaults and limits table of the numeric directives (conf.c). */
extern const ku_num_spec_t ku_num_specs[KU_NUM_COUNT];

/* A directive whose value is one word of a fixed list. */
typedef struct {
    ku_str_t str;
    const char *const *words;
    const char *allowed;      /* for the error message */
} ku_choice_t;

/* The handlers (conf_cmds.c); cmd->info says which value, where one
 * handler serves several directives. */
const char *ku_cmd_num(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_flag(cmd_parms *cmd, void *conf, int on);
const char *ku_cmd_bootstrap_servers(cmd_parms *cmd, void *conf, const char *args);
const char *ku_cmd_topic(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_acks(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_pem_file(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_key_file(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_sasl_mechanism(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_sasl_user(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_secret(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_property(cmd_parms *cmd, void *conf, const char *name,
                            const char *value);
const char *ku_cmd_choice(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_name(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_key_expr(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_allowed_topic(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_header_name(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_cmd_header_rename(cmd_parms *cmd, void *conf, const char *from,
                                 const char *to);
const char *ku_cmd_field(cmd_parms *cmd, void *conf, const char *name, const char *arg);

#endif
