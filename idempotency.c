/* SPDX-License-Identifier: Apache-2.0 */
/* idempotency.c: Idempotency-Key on a Location (README "Idempotency-Key").
 *
 * The table (idempotency_table.c) is one anonymous apr_shm segment made by
 * the parent in post_config in the process pool, not in pconf: a graceful
 * (or plain) restart finds it again, so the keys survive it, and children
 * of the old and the new generation share it. A new table size makes a new,
 * empty table.
 *
 * A request with a key claims it before it produces; its answer is kept
 * by an output filter when the response ends, if it is a success (2xx): an
 * error answer frees the key, so a retry is tried anew. A request that
 * ends without the filter seeing its end frees the key too. */
#include <string.h>
#include <unistd.h>

#include "apr_shm.h"
#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include <openssl/evp.h>

#include "mod_kafka_upstream.h"
#include "idempotency.h"
#include "idempotency_table.h"
#include "proc_identity.h"
#include "record_header.h"

#define KU_IDEM_FILTER "KU_IDEMPOTENCY"
#define KU_IDEM_SHM_KEY "mod_kafka_upstream.idempotency"
#define KU_IDEM_DEFAULT_TTL 86400
#define KU_IDEM_MAX_TTL (30 * 86400)
#define KU_IDEM_DEFAULT_SIZE 1024
#define KU_IDEM_MAX_SIZE 16384

enum { KU_IDEM_OFF, KU_IDEM_ON, KU_IDEM_REQUIRED };
static const char *const mode_words[] = { "off", "on", "required" };

static ku_idem_table_t *table;
static apr_uint32_t child_pid;    /* read once, in child_init */
static apr_uint32_t table_size = KU_IDEM_DEFAULT_SIZE;

/* --- directives ------------------------------------------------------------------ */

const char *ku_idem_set_mode(cmd_parms *cmd, void *conf, const char *mode, const char *ttl)
{
    apr_int64_t seconds = KU_IDEM_DEFAULT_TTL;
    char *end;
    int i;

    for (i = 0; i < 3 && strcasecmp(mode, mode_words[i]); i++)
        ;
    if (i == 3)
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': Off, On or Required is "
                            "allowed", cmd->cmd->name, mode);
    if (ttl) {
        seconds = apr_strtoi64(ttl, &end, 10);
        if (*end || end == ttl || seconds < 1 || seconds > KU_IDEM_MAX_TTL)
            return apr_psprintf(cmd->pool, "%s: invalid ttl '%s': seconds from 1 to %d",
                                cmd->cmd->name, ttl, KU_IDEM_MAX_TTL);
    }
    ku_conf_set_choice(conf, KU_STR_IDEMPOTENCY,
                       apr_psprintf(cmd->pool, "%s %" APR_INT64_T_FMT, mode_words[i], seconds),
                       i);
    return NULL;
}

const char *ku_idem_set_table_size(cmd_parms *cmd, void *conf, const char *arg)
{
    const char *error = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    char *end;
    apr_int64_t n;

    if (error)
        return error;
    n = apr_strtoi64(arg, &end, 10);
    if (*end || end == arg || n < 1 || n > KU_IDEM_MAX_SIZE)
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': entries from 1 to %d",
                            cmd->cmd->name, arg, KU_IDEM_MAX_SIZE);
    table_size = (apr_uint32_t)n;
    return NULL;
}

/* The Location's mode, and its TTL in seconds. */
static int idem_mode(const ku_dir_conf_t *conf, apr_int64_t *ttl)
{
    const char *word = ku_conf_str(conf, KU_STR_IDEMPOTENCY);
    const char *space = word ? strchr(word, ' ') : NULL;
    int i;

    if (!space)
        return KU_IDEM_OFF;
    if (ttl)
        *ttl = apr_atoi64(space + 1);
    for (i = 1; i < 3; i++)
        if (!strncmp(word, mode_words[i], (size_t)(space - word)))
            return i;
    return KU_IDEM_OFF;
}

/* --- the table --------------------------------------------------------------------- */

static int uses_idempotency(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *p)
{
    return idem_mode(conf, NULL) != KU_IDEM_OFF ? DONE : OK;
}

void ku_idem_post_config(apr_pool_t *ptemp, server_rec *s)
{
    apr_pool_t *pprocess = s->process->pool;
    apr_shm_t *segment = NULL;
    apr_size_t size = ku_idem_table_size(table_size);
    apr_status_t rv;

    table = NULL;
    if (ku_conf_walk(s, ptemp, uses_idempotency) != DONE)
        return;
    apr_pool_userdata_get((void **)&segment, KU_IDEM_SHM_KEY, pprocess);
    if (segment && (table = ku_idem_table_attach(apr_shm_baseaddr_get(segment), table_size))) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "KU00072: Idempotency-Key table of %u "
                     "entries kept from the previous generation", table_size);
        return;
    }
    /* Another size: the old generation's children keep their own mapping. */
    if (segment)
        apr_shm_destroy(segment);
    if ((rv = apr_shm_create(&segment, size, NULL, pprocess)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "KU00073: no Idempotency-Key table: "
                     "cannot create %" APR_SIZE_T_FMT " bytes of shared memory; requests "
                     "with a key get 503", size);
        apr_pool_userdata_set(NULL, KU_IDEM_SHM_KEY, apr_pool_cleanup_null, pprocess);
        return;
    }
    apr_pool_userdata_set(segment, KU_IDEM_SHM_KEY, apr_pool_cleanup_null, pprocess);
    table = ku_idem_table_init(apr_shm_baseaddr_get(segment), table_size);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "KU00074: Idempotency-Key table of %u "
                 "entries in %" APR_SIZE_T_FMT " bytes of shared memory", table_size, size);
}

/* --- a request ------------------------------------------------------------------- */

typedef struct {
    ku_idem_ticket_t ticket;
    int claimed;                  /* cleared once finished or released */
    apr_int64_t ttl;
    ku_idem_answer_t *answer;     /* the body so far */
    apr_size_t body_len;
} ku_idem_ctx_t;

/* SHA-256 of method, URI and body, each ended by a NUL. */
static int fingerprint(request_rec *r, const char *body, apr_size_t len,
                       unsigned char out[KU_IDEM_FINGERPRINT])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)
             && EVP_DigestUpdate(md, r->method, strlen(r->method) + 1)
             && EVP_DigestUpdate(md, r->unparsed_uri, strlen(r->unparsed_uri) + 1)
             && EVP_DigestUpdate(md, body, len) && EVP_DigestFinal_ex(md, out, &n)
             && n == KU_IDEM_FINGERPRINT;

    EVP_MD_CTX_free(md);
    return ok;
}

/* The request's key, without the quotes of the draft's sf-string form:
 * NULL when absent, "" when invalid. */
static const char *request_key(request_rec *r)
{
    const char *value = apr_table_get(r->headers_in, "Idempotency-Key");
    apr_size_t len;

    if (!value)
        return NULL;
    len = strlen(value);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
    }
    return ku_idem_key_valid(value, len) ? apr_pstrmemdup(r->pool, value, len) : "";
}

static void send_replay(request_rec *r, const ku_idem_answer_t *a)
{
    const char *body = a->body_kept ? a->body : "{\"message\":\"answered before\","
                       "\"error\":\"the first answer was too long to keep\"}";
    apr_size_t len = a->body_kept ? a->body_len : strlen(body);

    r->status = a->status;
    apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    if (a->topic[0])
        apr_table_set(r->headers_out, "Kafka-Topic", a->topic);
    if (a->partition >= 0)
        apr_table_setn(r->headers_out, "Kafka-Partition", apr_itoa(r->pool, a->partition));
    if (a->offset >= 0)
        apr_table_setn(r->headers_out, "Kafka-Offset",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)a->offset));
    ap_set_content_type(r, a->content_type[0] ? apr_pstrdup(r->pool, a->content_type)
                                              : "application/json");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only)
        ap_rwrite(body, (int)len, r);
}

static apr_status_t release_unfinished(void *data)
{
    ku_idem_ctx_t *ctx = data;

    if (ctx->claimed && table)
        ku_idem_release(table, &ctx->ticket);
    ctx->claimed = 0;
    return APR_SUCCESS;
}

int ku_idem_begin(request_rec *r, const ku_dir_conf_t *conf, const char *body,
                  apr_size_t body_len, const char **error)
{
    apr_int64_t ttl = 0;
    int mode = idem_mode(conf, &ttl);
    const char *key = mode != KU_IDEM_OFF ? request_key(r) : NULL;
    unsigned char fp[KU_IDEM_FINGERPRINT];
    ku_idem_answer_t *kept;
    ku_idem_ctx_t *ctx;

    if (mode == KU_IDEM_OFF || (!key && mode == KU_IDEM_ON))
        return OK;
    if (!key) {
        *error = "Idempotency-Key required";
        return HTTP_BAD_REQUEST;
    }
    if (!*key) {
        *error = "Idempotency-Key invalid: 1 to 255 printable ASCII characters";
        return HTTP_BAD_REQUEST;
    }
    if (!table || !fingerprint(r, body, body_len, fp)) {
        *error = "Idempotency-Key cannot be kept";
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    kept = apr_palloc(r->pool, sizeof(*kept));
    switch (ku_idem_claim(table, key, fp, apr_time_now(),
                          child_pid ? child_pid : (apr_uint32_t)getpid(),
                          &ctx->ticket, kept)) {
    case KU_IDEM_REPLAY:
        send_replay(r, kept);
        return DONE;
    case KU_IDEM_IN_FLIGHT:
        *error = "a request with this Idempotency-Key is being answered";
        return HTTP_CONFLICT;
    case KU_IDEM_MISMATCH:
        *error = "Idempotency-Key already used for another request";
        return HTTP_UNPROCESSABLE_ENTITY;
    case KU_IDEM_FULL:
        *error = "too many requests with an Idempotency-Key in flight";
        return HTTP_SERVICE_UNAVAILABLE;
    case KU_IDEM_NEW:
        break;
    }
    ctx->claimed = 1;
    ctx->ttl = apr_time_from_sec(ttl);
    ctx->answer = apr_pcalloc(r->pool, sizeof(*ctx->answer));
    apr_pool_cleanup_register(r->pool, ctx, release_unfinished, apr_pool_cleanup_null);
    ap_add_output_filter(KU_IDEM_FILTER, ctx, r, r->connection);
    return OK;
}

/* --- keeping the answer -------------------------------------------------------------- */

static void keep_body(ku_idem_ctx_t *ctx, const char *data, apr_size_t n)
{
    if (ctx->body_len + n <= KU_IDEM_BODY_MAX - 1)
        memcpy(ctx->answer->body + ctx->body_len, data, n);
    ctx->body_len += n;
}

static void field(char *to, apr_size_t size, const char *from)
{
    apr_cpystrn(to, from ? from : "", size);
}

static void keep_answer(request_rec *r, ku_idem_ctx_t *ctx)
{
    ku_idem_answer_t *a = ctx->answer;
    const char *partition = apr_table_get(r->headers_out, "Kafka-Partition");
    const char *offset = apr_table_get(r->headers_out, "Kafka-Offset");

    ctx->claimed = 0;
    if (r->status < 200 || r->status > 299) {
        ku_idem_release(table, &ctx->ticket);
        return;
    }
    a->status = r->status;
    a->partition = partition ? atoi(partition) : -1;
    a->offset = offset ? apr_atoi64(offset) : -1;
    a->body_kept = ctx->body_len <= KU_IDEM_BODY_MAX - 1;
    a->body_len = a->body_kept ? (uint32_t)ctx->body_len : 0;
    field(a->topic, sizeof(a->topic), apr_table_get(r->headers_out, "Kafka-Topic"));
    field(a->content_type, sizeof(a->content_type), r->content_type);
    ku_idem_finish(table, &ctx->ticket, a, apr_time_now(), ctx->ttl);
}

/* Sees the answer pass; keeps it at its end, even when the client has gone. */
static apr_status_t idem_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ku_idem_ctx_t *ctx = f->ctx;
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); ctx->claimed && b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t n;

        if (APR_BUCKET_IS_EOS(b))
            keep_answer(f->r, ctx);
        else if (!APR_BUCKET_IS_METADATA(b)
                 && apr_bucket_read(b, &data, &n, APR_BLOCK_READ) == APR_SUCCESS)
            keep_body(ctx, data, n);
    }
    return ap_pass_brigade(f->next, bb);
}

static int idem_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    table_size = KU_IDEM_DEFAULT_SIZE;
    return OK;
}

/* The pid the table's lock and claims carry, read once per child. */
static void idem_child_init(apr_pool_t *pchild, server_rec *s)
{
    child_pid = (apr_uint32_t)getpid();
    ku_idem_set_pid(child_pid, ku_proc_start_time((pid_t)child_pid));
}

void ku_idem_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(idem_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_config(idem_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(KU_IDEM_FILTER, idem_filter, NULL, AP_FTYPE_RESOURCE);
}

/* --- record headers ------------------------------------------------------------------ */

int ku_idem_owns_header(const ku_dir_conf_t *conf, const char *name)
{
    return !strcasecmp(name, "Idempotency-Key") && idem_mode(conf, NULL) != KU_IDEM_OFF;
}

void ku_idem_headers(request_rec *r, const ku_dir_conf_t *conf, apr_array_header_t *out)
{
    const char *key = idem_mode(conf, NULL) != KU_IDEM_OFF ? request_key(r) : NULL;
    ku_header_t *h;

    if (!key || !*key)
        return;
    h = apr_array_push(out);
    h->name = "idempotency-key";
    h->value = key;
    h->value_len = 0;
}

/* --- the status page ----------------------------------------------------------------- */

void ku_idem_status_json(json_object *o)
{
    ku_idem_counts_t c;
    json_object *i;

    if (!table)
        return;
    ku_idem_counts(table, apr_time_now(), &c);
    i = json_object_new_object();
    json_object_object_add(i, "capacity", json_object_new_int64(c.capacity));
    json_object_object_add(i, "entries", json_object_new_int64(c.entries));
    json_object_object_add(i, "stored", json_object_new_int64((int64_t)c.stored));
    json_object_object_add(i, "hits", json_object_new_int64((int64_t)c.hits));
    json_object_object_add(i, "conflicts", json_object_new_int64((int64_t)c.conflicts));
    json_object_object_add(i, "mismatches", json_object_new_int64((int64_t)c.mismatches));
    json_object_object_add(i, "evictions", json_object_new_int64((int64_t)c.evictions));
    json_object_object_add(o, "idempotency", i);
}

void ku_idem_status_prometheus(apr_bucket_brigade *bb)
{
    ku_idem_counts_t c;
    static const struct {
        const char *name, *type, *help;
    } metrics[] = {
        { "kafka_upstream_idempotency_entries", "gauge",
          "Idempotency-Key entries in the table (answered or in flight)" },
        { "kafka_upstream_idempotency_capacity", "gauge",
          "Idempotency-Key entries the table holds (KafkaUpstreamIdempotencyTableSize)" },
        { "kafka_upstream_idempotency_stored_total", "counter", "Answers kept for a key" },
        { "kafka_upstream_idempotency_hits_total", "counter",
          "Requests answered again from a kept answer, producing nothing" },
        { "kafka_upstream_idempotency_conflicts_total", "counter",
          "Requests whose key was in flight (409)" },
        { "kafka_upstream_idempotency_mismatches_total", "counter",
          "Requests whose key was used for another request (422)" },
        { "kafka_upstream_idempotency_evictions_total", "counter",
          "Kept answers dropped, the least recently used first, for a new key in a full table" },
    };
    apr_uint64_t values[7];
    size_t i;

    if (!table)
        return;
    ku_idem_counts(table, apr_time_now(), &c);
    values[0] = c.entries;
    values[1] = c.capacity;
    values[2] = c.stored;
    values[3] = c.hits;
    values[4] = c.conflicts;
    values[5] = c.mismatches;
    values[6] = c.evictions;
    for (i = 0; i < 7; i++)
        apr_brigade_printf(bb, NULL, NULL, "# HELP %s %s\n# TYPE %s %s\n%s %" APR_UINT64_T_FMT
                           "\n", metrics[i].name, metrics[i].help, metrics[i].name,
                           metrics[i].type, metrics[i].name, values[i]);
}
