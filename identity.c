/* SPDX-License-Identifier: Apache-2.0 */
/* identity.c: KafkaUpstreamIdentity (README "Identity passthrough"): a
 * Location that produces as the caller. The request's Authorization header
 * (identity_cred.c) picks the caller's producer from the child's pool
 * (identity_pool.c), keyed by a hash of the Location's producer settings
 * and the credential itself; a new producer's first request waits until
 * the brokers took its login and Kafka lets it see each topic, and the
 * first to each topic waits for its records' delivery. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apr_atomic.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "librdkafka/rdkafka.h"

#include "mod_kafka_upstream.h"
#include "identity.h"
#include "identity_cred.h"
#include "identity_pool.h"
#include "conf_props.h"
#include "log_limit.h"
#include "status.h"

#define KU_IDENTITY_DEFAULT_PRODUCERS 16
#define KU_IDENTITY_DEFAULT_IDLE 300
/* How long a request waits for another request making the same caller's
 * producer, and the slices of a first request's check. */
#define KU_IDENTITY_MAKING_WAIT_MS 10000
#define KU_IDENTITY_CHECK_SLICE_MS 200
/* The longest a first request waits for the brokers' verdict. */
#define KU_IDENTITY_CHECK_MAX_MS 10000
/* Topics a caller's producer remembers as written. */
#define KU_CALLER_TOPICS 16
/* Distinct producer settings a child remembers; more are built per request. */
#define KU_SETTINGS_CACHE 64

static const char *const identity_words[] = { "off", "bearer", "basic" };
typedef enum { KU_IDENTITY_OFF, KU_IDENTITY_BEARER, KU_IDENTITY_BASIC } ku_identity_mode_t;

/* KafkaUpstreamIdentityProducers: server-wide, as each child's pool is. */
static int pool_size = KU_IDENTITY_DEFAULT_PRODUCERS;
static int idle_seconds = KU_IDENTITY_DEFAULT_IDLE;
static ku_idpool_t *pool;   /* this child's */
static int uses_identity_here; /* some section of this configuration does */

/* A caller's producer and the topics it wrote to. */
typedef struct {
    ku_producer_t *kp;
    pthread_mutex_t lock;
    char *topic[KU_CALLER_TOPICS];
    int ntopics;
} ku_caller_t;

/* The producer settings' part of the pool key, built once per child for
 * each distinct conf rather than per request. Equal ku_conf_producer_id
 * bytes mean equal settings (conf.h); entries are published by the count
 * and never change until the child exits. */
typedef struct {
    ku_conf_producer_id_t id;
    char *settings;
} ku_settings_entry_t;

static struct {
    ku_settings_entry_t entry[KU_SETTINGS_CACHE];
    volatile apr_uint32_t n;
    apr_thread_mutex_t *lock;
} settings_cache;

static ku_log_limit_t refused_rl = KU_LOG_LIMIT("KU00076");
static ku_log_limit_t full_rl = KU_LOG_LIMIT("KU00077");

/* --- directives ---------------------------------------------------------------- */

const char *ku_identity_set_mode(cmd_parms *cmd, void *conf, const char *arg)
{
    int i;

    for (i = 0; i < 3; i++)
        if (!strcasecmp(arg, identity_words[i])) {
            ku_conf_set_choice(conf, KU_STR_IDENTITY, identity_words[i], i);
            return NULL;
        }
    return apr_psprintf(cmd->pool, "%s: invalid value '%s': Off, Bearer or Basic is allowed",
                        cmd->cmd->name, arg);
}

static int parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(s, &end, 10);

    if (!*s || *end || v < min || v > max)
        return 0;
    *out = (int)v;
    return 1;
}

const char *ku_identity_set_producers(cmd_parms *cmd, void *conf, const char *n,
                                      const char *idle)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err)
        return err;
    if (!parse_int(n, 1, 4096, &pool_size))
        return apr_psprintf(cmd->pool, "%s: invalid value '%s': a whole number from 1 to 4096 "
                            "is allowed", cmd->cmd->name, n);
    if (idle && !parse_int(idle, 1, 86400, &idle_seconds))
        return apr_psprintf(cmd->pool, "%s: invalid idle time '%s': 1 to 86400 seconds are "
                            "allowed", cmd->cmd->name, idle);
    return NULL;
}

static ku_identity_mode_t identity_mode(const ku_dir_conf_t *conf)
{
    const char *word = ku_conf_str(conf, KU_STR_IDENTITY);

    return !word ? KU_IDENTITY_OFF : !strcmp(word, "bearer") ? KU_IDENTITY_BEARER
         : !strcmp(word, "basic") ? KU_IDENTITY_BASIC : KU_IDENTITY_OFF;
}

int ku_identity_enabled(const ku_dir_conf_t *conf)
{
    return identity_mode(conf) != KU_IDENTITY_OFF;
}

const char *ku_identity_check(apr_pool_t *p, const ku_dir_conf_t *conf)
{
    ku_identity_mode_t mode = identity_mode(conf);
    const char *mech = ku_conf_str(conf, KU_STR_SASL_MECHANISM);
    const char *name = mode == KU_IDENTITY_BASIC ? "Basic" : "Bearer";

    if (mode == KU_IDENTITY_OFF)
        return NULL;
    if (ku_conf_api(conf) != KU_API_KONG)
        return apr_psprintf(p, "KafkaUpstreamIdentity %s works with KafkaUpstreamAPI kong only",
                            name);
    if (ku_conf_spool(conf))
        return apr_psprintf(p, "KafkaUpstreamIdentity %s and KafkaUpstreamSpool On: a caller's "
                            "credentials never go to disk, so its records cannot be spooled "
                            "(README: Identity passthrough)", name);
    if (ku_conf_str(conf, KU_STR_SASL_USER) || ku_conf_str(conf, KU_STR_SASL_PASSWORD))
        return apr_psprintf(p, "KafkaUpstreamIdentity %s logs in with the caller's credentials: "
                            "KafkaUpstreamSASLUser and KafkaUpstreamSASLPassword are not "
                            "allowed with it", name);
    if (ku_conf_flag(conf, KU_FLAG_SASL_TOKEN_AUTH))
        return apr_psprintf(p, "KafkaUpstreamIdentity %s and KafkaUpstreamSASLTokenAuth On "
                            "do not go together", name);
    if (mode == KU_IDENTITY_BASIC && (!mech || !strcmp(mech, "OAUTHBEARER")))
        return "KafkaUpstreamIdentity Basic needs KafkaUpstreamSASLMechanism PLAIN, "
               "SCRAM-SHA-256 or SCRAM-SHA-512";
    if (mode == KU_IDENTITY_BEARER && mech)
        return apr_psprintf(p, "KafkaUpstreamIdentity Bearer logs in with SASL OAUTHBEARER "
                            "and the caller's token: KafkaUpstreamSASLMechanism %s is not "
                            "allowed with it", mech);
    return NULL;
}

/* --- the child's pool ------------------------------------------------------------ */

static int caller_in_flight(void *value)
{
    return ku_producer_in_flight(((ku_caller_t *)value)->kp);
}

static void close_caller(ku_caller_t *c)
{
    int i;

    ku_producer_close_own(c->kp);
    ku_status_identity_count(KU_IDENTITY_CLOSED);
    for (i = 0; i < c->ntopics; i++)
        free(c->topic[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void close_callers(void **values, int n)
{
    int i;

    for (i = 0; i < n; i++)
        close_caller(values[i]);
}

static void forget_settings(void)
{
    apr_uint32_t i, n = apr_atomic_read32(&settings_cache.n);

    apr_atomic_set32(&settings_cache.n, 0);
    for (i = 0; i < n; i++)
        free(settings_cache.entry[i].settings);
}

static apr_status_t close_pool(void *unused)
{
    void **values = malloc(sizeof(*values) * (size_t)pool_size);

    if (values) {
        close_callers(values, ku_idpool_drain(pool, values));
        free(values);
    }
    pool = NULL;
    forget_settings();
    return APR_SUCCESS;
}

static int uses_identity(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *p)
{
    return ku_identity_enabled(conf) ? DONE : OK;
}

static void identity_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_pool_t *scratch;
    int used;

    apr_pool_create(&scratch, pchild);
    used = ku_conf_walk(s, scratch, uses_identity) == DONE;
    apr_pool_destroy(scratch);
    uses_identity_here = used;
    if (!used)
        return;
    pool = ku_idpool_make(pchild, pool_size, apr_time_from_sec(idle_seconds), caller_in_flight);
    apr_thread_mutex_create(&settings_cache.lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    apr_pool_cleanup_register(pchild, NULL, close_pool, apr_pool_cleanup_null);
}

static int identity_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    pool_size = KU_IDENTITY_DEFAULT_PRODUCERS;
    idle_seconds = KU_IDENTITY_DEFAULT_IDLE;
    return OK;
}

void ku_identity_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(identity_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* After the module's own child_init: the pool's cleanup then runs
     * before the shared producers close. */
    ap_hook_child_init(identity_child_init, NULL, NULL, APR_HOOK_LAST);
}

void ku_identity_status_json(json_object *o)
{
    json_object *i;
    apr_uint64_t made = ku_status_identity(KU_IDENTITY_MADE);
    apr_uint64_t closed = ku_status_identity(KU_IDENTITY_CLOSED);

    if (!uses_identity_here)
        return;
    i = json_object_new_object();
    json_object_object_add(i, "producers_per_child", json_object_new_int64(pool_size));
    json_object_object_add(i, "made", json_object_new_int64((int64_t)made));
    json_object_object_add(i, "closed", json_object_new_int64((int64_t)closed));
    json_object_object_add(i, "open", json_object_new_int64((int64_t)(made - closed)));
    json_object_object_add(i, "busy_refusals",
                           json_object_new_int64((int64_t)ku_status_identity(KU_IDENTITY_BUSY)));
    json_object_object_add(o, "identity", i);
}

/* --- the request's producer ------------------------------------------------------- */

static const char *cached_settings(const ku_conf_producer_id_t *id)
{
    apr_uint32_t i, n = apr_atomic_read32(&settings_cache.n);

    for (i = 0; i < n; i++)
        if (!memcmp(&settings_cache.entry[i].id, id, sizeof(*id)))
            return settings_cache.entry[i].settings;
    return NULL;
}

/* Keeps a copy (malloc: request threads add entries) while there is room. */
static void remember_settings(const ku_conf_producer_id_t *id, const char *settings)
{
    apr_uint32_t n;

    apr_thread_mutex_lock(settings_cache.lock);
    n = apr_atomic_read32(&settings_cache.n);
    if (n < KU_SETTINGS_CACHE && !cached_settings(id)
        && (settings_cache.entry[n].settings = strdup(settings))) {
        settings_cache.entry[n].id = *id;
        apr_atomic_set32(&settings_cache.n, n + 1); /* publishes the entry */
    }
    apr_thread_mutex_unlock(settings_cache.lock);
}

/* The conf's producer settings as the pool key hashes them. */
static const char *producer_settings(request_rec *r, const ku_dir_conf_t *conf)
{
    ku_conf_producer_id_t id;
    const char *settings;

    ku_conf_producer_id(conf, &id);
    if ((settings = cached_settings(&id)))
        return settings;
    settings = ku_conf_producer_key(r->pool, conf);
    remember_settings(&id, settings);
    return settings;
}

/* The request's hold on its caller's slot, given back when r ends; a
 * refused login dooms the slot, and the last holder closes it. */
typedef struct {
    int slot;
    int doom;
} ku_hold_t;

static apr_status_t release_hold(void *data)
{
    ku_hold_t *h = data;
    ku_caller_t *closing;

    if (pool && (closing = ku_idpool_release(pool, h->slot, h->doom, apr_time_now())))
        close_caller(closing);
    return APR_SUCCESS;
}

static int refuse(request_rec *r, ku_identity_mode_t mode, int status, const char *why,
                  const char **error, int token_refused)
{
    const char *realm = ap_auth_name(r) ? ap_auth_name(r) : "Kafka";

    if (status == HTTP_UNAUTHORIZED)
        apr_table_setn(r->headers_out, "WWW-Authenticate",
                       apr_psprintf(r->pool, "%s realm=\"%s\"%s",
                                    mode == KU_IDENTITY_BASIC ? "Basic" : "Bearer",
                                    ap_escape_quotes(r->pool, realm),
                                    token_refused ? ", error=\"invalid_token\"" : ""));
    if (ku_log_allowed(&refused_rl, r->server, APLOG_INFO))
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "KU00076: caller refused with %d: %s",
                      status, why);
    *error = why;
    return status;
}

/* The caller's login as producer properties. */
static apr_array_header_t *login_props(apr_pool_t *p, const ku_dir_conf_t *conf,
                                       const ku_cred_t *cred)
{
    apr_array_header_t *props = apr_array_make(p, 4, sizeof(ku_prop_t));
    ku_prop_t *prop;

    if (cred->kind == KU_CRED_BASIC) {
        prop = apr_array_push(props);
        prop->name = "sasl.username";
        prop->value = cred->user;
        prop = apr_array_push(props);
        prop->name = "sasl.password";
        prop->value = cred->password;
        return props;
    }
    prop = apr_array_push(props);
    prop->name = "sasl.mechanisms";
    prop->value = "OAUTHBEARER";
    prop = apr_array_push(props);
    prop->name = "security.protocol";
    prop->value = ku_conf_flag(conf, KU_FLAG_SSL) ? "sasl_ssl" : "sasl_plaintext";
    return props;
}

static ku_caller_t *make_caller(request_rec *r, const ku_dir_conf_t *conf, const ku_cred_t *cred,
                                const char **error)
{
    ku_caller_t *c = calloc(1, sizeof(*c));
    ku_producer_bearer_t bearer;

    if (!c) {
        *error = "out of memory";
        return NULL;
    }
    bearer.token = (char *)cred->token;
    bearer.principal = (char *)cred->user;
    bearer.expires_ms = cred->expires_ms;
    c->kp = ku_producer_make_own(r->pool, conf, r->server, login_props(r->pool, conf, cred),
                                 cred->kind == KU_CRED_BEARER ? &bearer : NULL, error);
    if (!c->kp) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

/* Takes the caller's slot, making its producer if it has none: OK, or
 * 503 (every slot busy, or the producer cannot be made). */
static int hold_caller(request_rec *r, const ku_dir_conf_t *conf, const ku_cred_t *cred,
                       const unsigned char *key, ku_caller_t **caller, ku_hold_t **held,
                       const char **error)
{
    void **closing = apr_palloc(r->pool, sizeof(*closing) * (size_t)pool_size);
    apr_time_t until = apr_time_now() + apr_time_from_msec(KU_IDENTITY_MAKING_WAIT_MS);
    ku_hold_t *hold = apr_pcalloc(r->pool, sizeof(*hold));
    ku_idpool_result_t got;
    void *value;
    int nclosing;

    while ((got = ku_idpool_acquire(pool, key, apr_time_now(), &hold->slot, &value, closing,
                                    &nclosing)) == KU_IDPOOL_MAKING) {
        close_callers(closing, nclosing);
        if (apr_time_now() > until)
            break;
        apr_sleep(apr_time_from_msec(10));
    }
    close_callers(closing, nclosing);
    if (got == KU_IDPOOL_MAKING || got == KU_IDPOOL_FULL) {
        if (got == KU_IDPOOL_FULL)
            ku_status_identity_count(KU_IDENTITY_BUSY);
        if (got == KU_IDPOOL_FULL && ku_log_allowed(&full_rl, r->server, APLOG_WARNING))
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "KU00077: every one of the %d "
                          "caller producers of this child is busy: answered 503 "
                          "(KafkaUpstreamIdentityProducers)", pool_size);
        *error = "all caller producers busy";
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (got == KU_IDPOOL_NEW) {
        value = make_caller(r, conf, cred, error);
        ku_idpool_fill(pool, hold->slot, value);
        if (value)
            ku_status_identity_count(KU_IDENTITY_MADE);
        if (!value)
            return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_pool_cleanup_register(r->pool, hold, release_hold, apr_pool_cleanup_null);
    *caller = value;
    *held = hold;
    return OK;
}

/* Under c->lock. */
static int has_topic(const ku_caller_t *c, const char *topic)
{
    int i;

    for (i = 0; i < c->ntopics; i++)
        if (!strcmp(c->topic[i], topic))
            return 1;
    return 0;
}

static int topic_written(ku_caller_t *c, const char *topic)
{
    int found;

    pthread_mutex_lock(&c->lock);
    found = has_topic(c, topic);
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* Remembered up to KU_CALLER_TOPICS; requests to further ones wait each
 * time. Concurrent first requests may both get here. */
static void remember_topic(ku_caller_t *c, const char *topic)
{
    pthread_mutex_lock(&c->lock);
    if (c->ntopics < KU_CALLER_TOPICS && !has_topic(c, topic)
        && (c->topic[c->ntopics] = strdup(topic)))
        c->ntopics++;
    pthread_mutex_unlock(&c->lock);
}

/* The 403's text for a topic Kafka's ACLs keep the caller from. */
static const char *acl_refusal_text(apr_pool_t *p, const char *topic)
{
    return apr_psprintf(p, "Kafka does not let the caller write to topic %s", topic);
}

typedef enum { KU_CHECK_OK, KU_CHECK_LOGIN_REFUSED, KU_CHECK_ACL_REFUSED, KU_CHECK_NO_ANSWER }
    ku_check_t;

/* Asks the brokers for the topic's metadata as the caller, in slices,
 * until they answer or refuse the login: Kafka answers a topic the caller
 * may not see with TOPIC_AUTHORIZATION_FAILED. A refused login or topic is
 * answered at once, before anything is produced; whether the caller may
 * write the topic only its first records' delivery tells. */
static ku_check_t check_topic(ku_caller_t *c, const char *topic, int wait_ms)
{
    rd_kafka_t *rk = ku_producer_handle(c->kp);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    apr_time_t until = apr_time_now() + apr_time_from_msec(wait_ms);
    const struct rd_kafka_metadata *md;
    ku_check_t result = KU_CHECK_NO_ANSWER;

    if (!rkt)
        return KU_CHECK_NO_ANSWER;
    do {
        if (rd_kafka_metadata(rk, 0, rkt, &md, KU_IDENTITY_CHECK_SLICE_MS)
            == RD_KAFKA_RESP_ERR_NO_ERROR) {
            result = md->topic_cnt && ku_producer_is_acl_refusal(md->topics[0].err)
                     ? KU_CHECK_ACL_REFUSED : KU_CHECK_OK;
            rd_kafka_metadata_destroy(md);
        }
        else if (ku_producer_login_refused(c->kp))
            result = KU_CHECK_LOGIN_REFUSED;
    } while (result == KU_CHECK_NO_ANSWER && apr_time_now() < until);
    rd_kafka_topic_destroy(rkt);
    return result;
}

static int check_wait_ms(const ku_dir_conf_t *conf)
{
    int ms = ku_conf_num(conf, KU_NUM_DELIVERY_TIMEOUT);

    return ms < KU_IDENTITY_CHECK_MAX_MS ? ms : KU_IDENTITY_CHECK_MAX_MS;
}

struct ku_identity_first {
    ku_caller_t *caller;
    ku_identity_mode_t mode;
};

static ku_identity_first_t *first_request(request_rec *r, ku_caller_t *caller,
                                          ku_identity_mode_t mode)
{
    ku_identity_first_t *first = apr_palloc(r->pool, sizeof(*first));

    first->caller = caller;
    first->mode = mode;
    return first;
}

/* Each topic the caller has not written yet: checked as the caller. */
static int check_unwritten(request_rec *r, const ku_dir_conf_t *conf, ku_identity_mode_t mode,
                           ku_caller_t *caller, ku_hold_t *hold,
                           const apr_array_header_t *topics, int *unwritten,
                           const char **error)
{
    const char *const *topic = (const char *const *)topics->elts;
    int i;

    *unwritten = 0;
    for (i = 0; i < topics->nelts; i++) {
        if (topic_written(caller, topic[i]))
            continue;
        *unwritten = 1;
        switch (check_topic(caller, topic[i], check_wait_ms(conf))) {
        case KU_CHECK_OK:
            break;
        case KU_CHECK_LOGIN_REFUSED:
            hold->doom = 1;
            return refuse(r, mode, HTTP_UNAUTHORIZED, "the brokers refused the caller's login",
                          error, mode == KU_IDENTITY_BEARER);
        case KU_CHECK_ACL_REFUSED:
            return refuse(r, mode, HTTP_FORBIDDEN, acl_refusal_text(r->pool, topic[i]), error,
                          0);
        default:
            *error = ku_producer_trouble(caller->kp) ? ku_producer_trouble(caller->kp)
                                                       : "brokers unreachable";
            return HTTP_SERVICE_UNAVAILABLE;
        }
    }
    return OK;
}

void ku_identity_first_sent(request_rec *r, const ku_identity_first_t *first,
                            const ku_record_t *records, ku_answer_t *answers, int n)
{
    const char *why = NULL, *logged;
    int i;

    for (i = 0; i < n; i++) {
        if (records[i].result.outcome == KU_SEND_DONE)
            remember_topic(first->caller, records[i].topic);
        else if (ku_producer_is_acl_refusal(records[i].result.err)) {
            why = acl_refusal_text(r->pool, records[i].topic);
            answers[i].status = HTTP_FORBIDDEN;
            answers[i].error = why;
            answers[i].reason = KU_REJECT_TOPIC_NOT_ALLOWED;
        }
    }
    if (why)
        refuse(r, first->mode, HTTP_FORBIDDEN, why, &logged, 0);
}

int ku_identity_producer(request_rec *r, const ku_dir_conf_t *conf,
                         const apr_array_header_t *topics, ku_producer_t **kp,
                         ku_identity_first_t **first, const char **error)
{
    ku_identity_mode_t mode = identity_mode(conf);
    unsigned char key[KU_CRED_KEY_LEN];
    const char *why, *mech;
    ku_caller_t *caller;
    ku_hold_t *hold;
    ku_cred_t cred;
    int status, unwritten;

    if (!pool) {
        *error = "no caller producers in this child";
        return HTTP_SERVICE_UNAVAILABLE;
    }
    why = ku_cred_parse(r->pool, apr_table_get(r->headers_in, "Authorization"),
                        mode == KU_IDENTITY_BASIC ? KU_CRED_BASIC : KU_CRED_BEARER, &cred);
    if (why)
        return refuse(r, mode, HTTP_UNAUTHORIZED, why, error, 0);
    if (cred.kind == KU_CRED_BEARER && cred.expires_ms <= apr_time_as_msec(apr_time_now()))
        return refuse(r, mode, HTTP_UNAUTHORIZED, "an expired Bearer token", error, 1);
    mech = mode == KU_IDENTITY_BASIC ? ku_conf_str(conf, KU_STR_SASL_MECHANISM) : "OAUTHBEARER";
    ku_cred_key(producer_settings(r, conf), mech, &cred, key);
    status = hold_caller(r, conf, &cred, key, &caller, &hold, error);
    if (cred.password)
        ku_cred_wipe((char *)cred.password, strlen(cred.password));
    if (status != OK)
        return status;
    status = check_unwritten(r, conf, mode, caller, hold, topics, &unwritten, error);
    if (status != OK)
        return status;
    *kp = caller->kp;
    *first = unwritten ? first_request(r, caller, mode) : NULL;
    return OK;
}
