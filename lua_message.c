/* SPDX-License-Identifier: Apache-2.0 */
/* lua_message.c: KafkaUpstreamMessageLua (README "Lua message functions").
 *
 * Each thread that serves a request owns one LuaJIT state (states are not
 * thread-safe), made on its first such request and closed when the thread
 * ends. A state compiles a section's chunks on first use and keeps the
 * functions they return, keyed by the section's chunk list: compiled once
 * per thread, never per request. The JIT is off in these states: compiled
 * traces do not run count hooks, and the instruction bound relies on them. */
#include "lua_message.h"
#include "mod_kafka_upstream.h"
#include "log_limit.h"
#include "trace_context_req.h"

#include "http_log.h"
#include "apr_file_io.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <luajit.h>
#include <stdlib.h>

/* Debian's lua-cjson (liblua5.1-cjson), linked: its module openers. */
int luaopen_cjson(lua_State *L);
int luaopen_cjson_safe(lua_State *L);

#define KU_LUA_MAX_FILE_BYTES (1024 * 1024)
#define KU_LUA_HOOK_EVERY 1000

typedef struct {
    const char *path;
    const char *source;
    apr_size_t len;
} ku_lua_chunk_t;

struct ku_lua_chunks {
    apr_array_header_t *list;   /* ku_lua_chunk_t, in order */
};

/* One thread's state and the bounds of the run under way. */
typedef struct {
    lua_State *L;
    size_t used;                /* bytes the state holds */
    size_t limit;               /* an allocation beyond this fails */
    long instructions;          /* counted by the hook during a run */
    int over_instructions, over_memory;
    request_rec *r;             /* the request of the run under way */
    int runner;                 /* registry ref of the runner function */
} ku_lua_t;

static apr_threadkey_t *state_key;

static ku_log_limit_t error_rl = KU_LOG_LIMIT("KU00066");
static ku_log_limit_t instructions_rl = KU_LOG_LIMIT("KU00067");
static ku_log_limit_t memory_rl = KU_LOG_LIMIT("KU00068");
static ku_log_limit_t state_rl = KU_LOG_LIMIT("KU00069");

/* --- the sandbox ----------------------------------------------------------------- */

/* Trusted code run once per state: takes away what reaches outside the
 * state (os, io, debug, package, files, bytecode) and offers require() for
 * the modules listed, and the one PDK function Kong's examples use. */
static const char sandbox_lua[] =
    "local cjson, cjson_safe, get_consumer = ...\n"
    "os, io, debug, package, module, dofile, loadfile = nil, nil, nil, nil, nil, nil, nil\n"
    "collectgarbage, string.dump, jit, ffi = nil, nil, nil, nil\n"
    "local _load, tostring, error = load, tostring, error\n"
    "load = function(chunk, name, mode, env)\n"
    "  if env == nil then return _load(chunk, name, 't') end\n"
    "  return _load(chunk, name, 't', env)\n"
    "end\n"
    "loadstring = function(s, name) return _load(s, name, 't') end\n"
    "local loaded = { cjson = cjson, ['cjson.safe'] = cjson_safe, string = string,\n"
    "  table = table, math = math, bit = bit, coroutine = coroutine }\n"
    "require = function(name)\n"
    "  local m = loaded[name]\n"
    "  if m == nil then error(\"module '\" .. tostring(name) .. \"' is not available\", 2) end\n"
    "  return m\n"
    "end\n"
    "kong = { client = { get_consumer = get_consumer } }\n";

/* Trusted code: the runner of one message, with a cjson instance of its
 * own (a function's cjson settings do not change what is produced). */
static const char runner_lua[] =
    "local json = ...\n"
    "local decode, encode, type, error = json.decode, json.encode, type, error\n"
    "return function(fns, raw, value, key)\n"
    "  local m = value\n"
    "  if not raw then m = decode(value) end\n"
    "  local record = { key = key }\n"
    "  for i = 1, #fns do\n"
    "    m = fns[i](m, record)\n"
    "    if m == nil then return nil end\n"
    "  end\n"
    "  local k = record.key\n"
    "  if type(k) == 'number' then k = tostring(k)\n"
    "  elseif k ~= nil and type(k) ~= 'string' then error('record.key is not a string', 0) end\n"
    "  if raw and type(m) == 'string' then return m, k end\n"
    "  return encode(m), k\n"
    "end\n";

/* Allocations are counted; one beyond the limit fails (Lua raises "not
 * enough memory"), and keeps failing until the run ends. */
static void *bounded_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    ku_lua_t *s = ud;
    void *p;

    if (nsize == 0) {
        free(ptr);
        s->used -= osize;
        return NULL;
    }
    if (nsize > osize && s->used + (nsize - osize) > s->limit) {
        s->over_memory = 1;
        return NULL;
    }
    if (!(p = realloc(ptr, nsize)))
        return NULL;
    s->used = s->used - osize + nsize;
    return p;
}

/* Every KU_LUA_HOOK_EVERY instructions; beyond the bound, at every
 * instruction, so that a function's own pcall cannot swallow the error. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    ku_lua_t *s;

    (void)ar;
    lua_getallocf(L, (void **)&s);
    s->instructions += KU_LUA_HOOK_EVERY;
    if (s->instructions > KU_LUA_MAX_INSTRUCTIONS)
        s->over_instructions = 1;
    if (s->over_instructions || s->over_memory) {
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        /* no position: it would name whichever function the hook interrupted */
        lua_pushstring(L, s->over_memory ? "memory limit" : "instruction limit");
        lua_error(L);
    }
}

/* kong.client.get_consumer(): the authenticated user as a consumer, or nil. */
static int get_consumer(lua_State *L)
{
    ku_lua_t *s;

    lua_getallocf(L, (void **)&s);
    if (!s->r || !s->r->user)
        return 0;
    lua_createtable(L, 0, 1);
    lua_pushstring(L, s->r->user);
    lua_setfield(L, -2, "username");
    return 1;
}

static void open_lib(lua_State *L, lua_CFunction open, const char *name)
{
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/* Runs trusted code with the values on top of the stack as its arguments;
 * leaves nresults. Errors only when memory runs out. */
static int run_trusted(lua_State *L, const char *code, const char *name, int nargs,
                       int nresults)
{
    if (luaL_loadbuffer(L, code, strlen(code), name) != 0)
        return -1;
    lua_insert(L, -(nargs + 1));
    return lua_pcall(L, nargs, nresults, 0);
}

static void budget_begin(ku_lua_t *s, request_rec *r)
{
    s->instructions = 0;
    s->over_instructions = s->over_memory = 0;
    s->limit = s->used + KU_LUA_MAX_CALL_BYTES;
    if (s->limit > KU_LUA_MAX_STATE_BYTES)
        s->limit = KU_LUA_MAX_STATE_BYTES;
    s->r = r;
    lua_sethook(s->L, count_hook, LUA_MASKCOUNT, KU_LUA_HOOK_EVERY);
}

/* Outside a run nothing is bounded: the module's own pushes must not fail
 * (a failure outside a protected call would abort the process). */
static void budget_end(ku_lua_t *s)
{
    lua_sethook(s->L, NULL, 0, 0);
    s->limit = (size_t)-1;
    s->r = NULL;
    if (s->over_instructions || s->over_memory)
        lua_gc(s->L, LUA_GCCOLLECT, 0);
}

static void close_state(void *data)
{
    ku_lua_t *s = data;

    if (s) {
        lua_close(s->L);
        free(s);
    }
}

/* A sandboxed state with its runner, or NULL. */
static ku_lua_t *new_state(void)
{
    ku_lua_t *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->limit = (size_t)-1;
    if (!(s->L = lua_newstate(bounded_alloc, s))) {
        free(s);
        return NULL;
    }
    luaJIT_setmode(s->L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    open_lib(s->L, luaopen_base, "");
    open_lib(s->L, luaopen_string, LUA_STRLIBNAME);
    open_lib(s->L, luaopen_table, LUA_TABLIBNAME);
    open_lib(s->L, luaopen_math, LUA_MATHLIBNAME);
    open_lib(s->L, luaopen_bit, LUA_BITLIBNAME);
    lua_pushcfunction(s->L, luaopen_cjson);
    lua_call(s->L, 0, 1);
    lua_pushcfunction(s->L, luaopen_cjson_safe);
    lua_call(s->L, 0, 1);
    lua_pushcfunction(s->L, get_consumer);
    if (run_trusted(s->L, sandbox_lua, "=sandbox", 3, 0) != 0)
        goto failed;
    lua_getglobal(s->L, "require");
    lua_pushstring(s->L, "cjson");
    lua_call(s->L, 1, 1);
    lua_getfield(s->L, -1, "new");
    lua_remove(s->L, -2);
    lua_call(s->L, 0, 1);
    if (run_trusted(s->L, runner_lua, "=runner", 1, 1) != 0)
        goto failed;
    s->runner = luaL_ref(s->L, LUA_REGISTRYINDEX);
    return s;
failed:
    close_state(s);
    return NULL;
}

/* --- the functions of a section -------------------------------------------------- */

/* Compiles chunk (text only) and runs it: it must return a function, left
 * on the stack. NULL, or the error (in p). */
static const char *load_function(lua_State *L, const ku_lua_chunk_t *chunk, apr_pool_t *p)
{
    const char *name = apr_pstrcat(p, "@", chunk->path, NULL);

    if (luaL_loadbufferx(L, chunk->source, chunk->len, name, "t") != 0
        || lua_pcall(L, 0, 1, 0) != 0) {
        const char *error = apr_pstrdup(p, lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
        lua_pop(L, 1);
        return error;
    }
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return apr_psprintf(p, "%s does not return a function (write: return "
                            "function(message) ... return message end)", chunk->path);
    }
    return NULL;
}

/* Pushes the table of chunks' functions, compiling them on first use in
 * this state. NULL, or the error. */
static const char *push_functions(ku_lua_t *s, const ku_lua_chunks_t *chunks,
                                  request_rec *r)
{
    lua_State *L = s->L;
    const char *error = NULL;
    int i;

    lua_pushlightuserdata(L, (void *)chunks);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (!lua_isnil(L, -1))
        return NULL;
    lua_pop(L, 1);
    lua_createtable(L, chunks->list->nelts, 0);
    for (i = 0; i < chunks->list->nelts && !error; i++) {
        budget_begin(s, r);
        error = load_function(L, &APR_ARRAY_IDX(chunks->list, i, ku_lua_chunk_t), r->pool);
        budget_end(s);
        if (!error)
            lua_rawseti(L, -2, i + 1);
    }
    if (error) {
        lua_pop(L, 1);
        return error;
    }
    lua_pushlightuserdata(L, (void *)chunks);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    return NULL;
}

static ku_lua_t *thread_state(void)
{
    void *data = NULL;
    ku_lua_t *s;

    if (!state_key || apr_threadkey_private_get(&data, state_key) != APR_SUCCESS)
        return NULL;
    if (data)
        return data;
    if ((s = new_state()) && apr_threadkey_private_set(s, state_key) != APR_SUCCESS) {
        close_state(s);
        s = NULL;
    }
    return s;
}

/* One line per failure (rate-limited), with its own tag. */
static int failed(request_rec *r, ku_lua_t *s, const char *lua_error, const char **error)
{
    if (s->over_instructions) {
        *error = "message function exceeded its instruction limit";
        if (ku_log_allowed(&instructions_rl, r->server, APLOG_ERR))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00067: KafkaUpstreamMessageLua: "
                          "%s (%s), nothing produced%s", *error, lua_error,
                          ku_trace_log_suffix(r));
    }
    else if (s->over_memory) {
        *error = "message function exceeded its memory limit";
        if (ku_log_allowed(&memory_rl, r->server, APLOG_ERR))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00068: KafkaUpstreamMessageLua: "
                          "%s (%s), nothing produced%s", *error, lua_error,
                          ku_trace_log_suffix(r));
    }
    else {
        *error = "message function failed";
        if (ku_log_allowed(&error_rl, r->server, APLOG_ERR))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00066: KafkaUpstreamMessageLua: "
                          "%s (%s), nothing produced%s", *error, lua_error,
                          ku_trace_log_suffix(r));
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

int ku_lua_message_run(request_rec *r, const ku_lua_chunks_t *chunks, int raw,
                       const char *in, apr_size_t in_len, const char **key,
                       apr_size_t *key_len, apr_pool_t *p, const char **out,
                       apr_size_t *out_len, const char **error)
{
    ku_lua_t *s = thread_state();
    lua_State *L;
    const char *lua_error;
    size_t len;
    int top, rc;

    *out = NULL;
    if (!s) {
        if (ku_log_allowed(&state_rl, r->server, APLOG_ERR))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00069: KafkaUpstreamMessageLua: "
                          "no Lua state for this thread (out of memory?)%s",
                          ku_trace_log_suffix(r));
        *error = "message function failed";
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    L = s->L;
    top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->runner);
    if ((lua_error = push_functions(s, chunks, r))) {
        rc = failed(r, s, lua_error, error);
        lua_settop(L, top);
        return rc;
    }
    lua_pushboolean(L, raw);
    lua_pushlstring(L, in, in_len);
    if (*key)
        lua_pushlstring(L, *key, *key_len);
    else
        lua_pushnil(L);
    budget_begin(s, r);
    rc = lua_pcall(L, 4, 2, 0);
    if (rc != 0) {
        lua_error = apr_pstrdup(r->pool, lua_tostring(L, -1) ? lua_tostring(L, -1)
                                         : "error object is not a string");
        rc = failed(r, s, lua_error, error);
    }
    else {
        if (!lua_isnil(L, -2)) {
            const char *v = lua_tolstring(L, -2, &len);
            *out = apr_pmemdup(p, v, len);
            *out_len = len;
        }
        if (lua_isnil(L, -1)) {
            *key = NULL;
            *key_len = 0;
        }
        else {
            const char *k = lua_tolstring(L, -1, &len);
            *key = apr_pmemdup(r->pool, k, len);
            *key_len = len;
        }
        rc = OK;
    }
    budget_end(s);
    lua_settop(L, top);
    return rc;
}

/* --- KafkaUpstreamMessageLua ------------------------------------------------------- */

static const char *read_chunk(cmd_parms *cmd, const char *word, ku_lua_chunk_t *chunk)
{
    apr_file_t *f;
    apr_finfo_t finfo;
    apr_status_t rv;
    char *buf;

    chunk->path = ap_server_root_relative(cmd->pool, word);
    if (!chunk->path)
        return apr_psprintf(cmd->pool, "KafkaUpstreamMessageLua: bad path %s", word);
    if ((rv = apr_file_open(&f, chunk->path, APR_READ | APR_BINARY, 0, cmd->temp_pool))
            != APR_SUCCESS
        || (rv = apr_file_info_get(&finfo, APR_FINFO_SIZE, f)) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "KafkaUpstreamMessageLua: cannot read %s: %pm",
                            chunk->path, &rv);
    if (finfo.size > KU_LUA_MAX_FILE_BYTES)
        return apr_psprintf(cmd->pool, "KafkaUpstreamMessageLua: %s is larger than %d "
                            "bytes", chunk->path, KU_LUA_MAX_FILE_BYTES);
    buf = apr_palloc(cmd->pool, (apr_size_t)finfo.size + 1);
    rv = apr_file_read_full(f, buf, (apr_size_t)finfo.size, &chunk->len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF)
        return apr_psprintf(cmd->pool, "KafkaUpstreamMessageLua: cannot read %s: %pm",
                            chunk->path, &rv);
    buf[chunk->len] = '\0';
    chunk->source = buf;
    return NULL;
}

/* Compiles and runs the chunk in a scratch state, as a thread will:
 * apachectl -t names a file that does not compile or return a function. */
static const char *check_chunk(cmd_parms *cmd, const ku_lua_chunk_t *chunk)
{
    ku_lua_t *s = new_state();
    const char *error;

    if (!s)
        return "KafkaUpstreamMessageLua: cannot make a Lua state";
    s->instructions = 0;
    s->limit = KU_LUA_MAX_CALL_BYTES;
    lua_sethook(s->L, count_hook, LUA_MASKCOUNT, KU_LUA_HOOK_EVERY);
    error = load_function(s->L, chunk, cmd->temp_pool);
    lua_sethook(s->L, NULL, 0, 0);
    close_state(s);
    return error ? apr_psprintf(cmd->pool, "KafkaUpstreamMessageLua: %s", error) : NULL;
}

const char *ku_lua_message_cmd(cmd_parms *cmd, void *conf, const char *args)
{
    ku_lua_chunks_t *chunks = (ku_lua_chunks_t *)ku_conf_message_lua(conf);
    const char *word, *error;
    ku_lua_chunk_t chunk;

    if (!*ap_getword_conf(cmd->temp_pool, &(const char *){ args }))
        return "KafkaUpstreamMessageLua: give one or more Lua files";
    /* A second line in the same section adds its files after the first's. */
    if (!chunks) {
        chunks = apr_pcalloc(cmd->pool, sizeof(*chunks));
        chunks->list = apr_array_make(cmd->pool, 2, sizeof(ku_lua_chunk_t));
        ku_conf_set_message_lua(conf, chunks);
    }
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if ((error = read_chunk(cmd, word, &chunk)) || (error = check_chunk(cmd, &chunk)))
            return error;
        *(ku_lua_chunk_t *)apr_array_push(chunks->list) = chunk;
    }
    return NULL;
}

/* --- the child ----------------------------------------------------------------------- */

static void lua_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (apr_threadkey_private_create(&state_key, close_state, pchild) != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "KU00070: KafkaUpstreamMessageLua: "
                     "no thread key: message functions will answer 500");
}

void ku_lua_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(lua_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
