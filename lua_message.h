/* SPDX-License-Identifier: Apache-2.0 */
/* lua_message.h: KafkaUpstreamMessageLua, Kong's message_by_lua_functions:
 * Lua functions that change or drop each message before the schema step
 * (README "Lua message functions"). One sandboxed LuaJIT state per thread,
 * each function compiled once per state; an instruction and a memory
 * budget per message. */
#ifndef KU_LUA_MESSAGE_H
#define KU_LUA_MESSAGE_H

#include "httpd.h"
#include "http_config.h"
#include "conf.h"

/* The bounds of one message's run (all its functions), README "Lua
 * message functions". */
#define KU_LUA_MAX_INSTRUCTIONS 10000000L
#define KU_LUA_MAX_CALL_BYTES (16L * 1024 * 1024)
#define KU_LUA_MAX_STATE_BYTES (64L * 1024 * 1024)

/* KafkaUpstreamMessageLua file.lua ...: reads and checks each file. */
const char *ku_lua_message_cmd(cmd_parms *cmd, void *conf, const char *args);

/* One message through the section's functions. in is the envelope's JSON
 * (or, raw, the body); *key is the record's key (NULL: none) and may be
 * changed. OK with *out the value to produce, or *out NULL: dropped; else
 * HTTP_INTERNAL_SERVER_ERROR with *error (the function failed or went
 * beyond a bound), logged. The result lives in p. */
int ku_lua_message_run(request_rec *r, const ku_lua_chunks_t *chunks, int raw,
                       const char *in, apr_size_t in_len, const char **key,
                       apr_size_t *key_len, apr_pool_t *p, const char **out,
                       apr_size_t *out_len, const char **error);

void ku_lua_register_hooks(apr_pool_t *p);

#endif
