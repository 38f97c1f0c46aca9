/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry.c: GET /subjects/S/versions/V from a Confluent-compatible
 * Schema Registry with libcurl, and the child's cache of the answers.
 *
 * The cache is one list per process, keyed by everything that decides
 * whether a Location may have a schema (schema_cache_key.c): a schema or a
 * failure one Location met is never served to another with other
 * credentials, TLS settings or TTL. The list is behind a mutex that is
 * never held while the registry is asked: a request that finds its schema
 * stale marks
 * it as being fetched, fetches with the lock released and stores the new
 * one; the others keep using the old one meanwhile. Schemas are reference
 * counted, so a request can go on with a schema that was just replaced. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include "apr_strings.h"

#include "log_once.h"
#include "schema_cache_key.h"
#include "schema_registry.h"
#include "schema_registry_token.h"

/* A subject/version without a schema (never fetched, or failed) is asked
 * again at most this often: requests never each reach the registry. */
#define KU_SR_RETRY_SECONDS 1
#define KU_SR_CONNECT_TIMEOUT_MS 2000L
#define KU_SR_TIMEOUT_MS 5000L

typedef struct held {
    int refs;                 /* under the cache lock */
    ku_sr_schema_t s;
} held_t;

typedef struct entry {
    struct entry *next;
    char *key;
    held_t *held;             /* NULL: none yet */
    time_t checked;           /* when last fetched (or tried) */
    int fetching;
    ku_log_once_t warned;     /* the current failure streak was reported */
    ku_sr_status_t status;    /* of the last failed try, when held is NULL */
    char *error;
} entry_t;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static entry_t *cache;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void held_release(held_t *h)
{
    if (h && --h->refs == 0) {
        ku_avro_schema_free(h->s.avro);
        ku_js_free(h->s.json);
        free((char *)h->s.schema);
        free(h);
    }
}

static apr_status_t release_cleanup(void *h)
{
    pthread_mutex_lock(&cache_lock);
    held_release(h);
    pthread_mutex_unlock(&cache_lock);
    return APR_SUCCESS;
}

/* --- one GET ----------------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    char *data;
    size_t len;
} body_t;

static size_t collect(char *ptr, size_t size, size_t n, void *arg)
{
    body_t *b = arg;
    size_t add = size * n;
    char *grown;

    if (b->len + add > 4 * 1024 * 1024)
        return 0;             /* no schema is that large: stop */
    grown = apr_palloc(b->p, b->len + add + 1);
    if (b->len)
        memcpy(grown, b->data, b->len);
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* KafkaUpstreamSchemaRegistryHeader's lines as libcurl's list. */
static struct curl_slist *header_list(apr_pool_t *p, const char *headers)
{
    struct curl_slist *list = NULL, *grown;
    const char *end;

    for (; headers && (end = strchr(headers, '\n')); headers = end + 1) {
        if (!(grown = curl_slist_append(list, apr_pstrmemdup(p, headers, end - headers)))) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = grown;
    }
    return list;
}

static ku_sr_status_t http_get(apr_pool_t *p, const ku_sr_conf_t *conf, const char *url,
                               const char *bearer, body_t *body, long *code, const char **error)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = header_list(p, conf->headers);
    CURLcode rc;

    if (!curl || (conf->headers && !headers)) {
        *error = "libcurl: cannot start a request";
        curl_slist_free_all(headers);
        if (curl)
            curl_easy_cleanup(curl);
        return KU_SR_UNAVAILABLE;
    }
    if (headers)
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    body->p = p;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, KU_SR_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, KU_SR_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, conf->ssl_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, conf->ssl_verify ? 2L : 0L);
    if (conf->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, conf->ca_file);
    if (conf->cert_file && conf->key_pem) {
        /* The key as the parent read it: the file may be root's only. */
        struct curl_blob key = { (void *)conf->key_pem, strlen(conf->key_pem), CURL_BLOB_COPY };

        curl_easy_setopt(curl, CURLOPT_SSLCERT, conf->cert_file);
        curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
        curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    }
    if (bearer) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, bearer);
    }
    else if (conf->user) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, conf->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, conf->password ? conf->password : "");
    }
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        *error = apr_psprintf(p, "schema registry %s: %s", conf->url, curl_easy_strerror(rc));
        return KU_SR_UNAVAILABLE;
    }
    return KU_SR_OK;
}

/* Turns the registry's answer into a held schema. */
static ku_sr_status_t parse_answer(apr_pool_t *p, const char *text, held_t **out,
                                   const char **error)
{
    json_object *doc = json_tokener_parse(text), *id, *schema, *type;
    char why[512];
    held_t *h;

    if (!json_object_object_get_ex(doc, "id", &id) || !json_object_is_type(id, json_type_int)
        || !json_object_object_get_ex(doc, "schema", &schema)
        || !json_object_is_type(schema, json_type_string)) {
        json_object_put(doc);
        *error = "the schema registry's answer has no id and schema";
        return KU_SR_UNAVAILABLE;
    }
    h = calloc(1, sizeof(*h));
    h->refs = 1;
    h->s.id = json_object_get_int(id);
    h->s.schema = strdup(json_object_get_string(schema));
    h->s.is_avro = !json_object_object_get_ex(doc, "schemaType", &type)
                   || !strcmp(json_object_get_string(type), "AVRO");
    if (!h->s.is_avro && strcmp(json_object_get_string(type), "JSON")) {
        *error = apr_psprintf(p, "schema type %s is not supported (AVRO and JSON are)",
                              json_object_get_string(type));
        json_object_put(doc);
        held_release(h);
        return KU_SR_BROKEN;
    }
    json_object_put(doc);
    if (h->s.is_avro && !(h->s.avro = ku_avro_schema_parse(h->s.schema, error, p))) {
        held_release(h);
        return KU_SR_BROKEN;
    }
    if (!h->s.is_avro && !(h->s.json = ku_js_compile(h->s.schema, why, sizeof(why)))) {
        *error = apr_psprintf(p, "JSON Schema id %d: %s", h->s.id, why);
        held_release(h);
        return KU_SR_BROKEN;
    }
    *out = h;
    return KU_SR_OK;
}

/* The GET, with the OAuth2 token when there is a client: a token the
 * registry answers 401 to (revoked, or signed with a key it dropped) is
 * replaced by a new one once, and the GET tried once more. */
static ku_sr_status_t authorized_get(apr_pool_t *p, const ku_sr_conf_t *conf, const char *url,
                                     body_t *body, long *code, const char **error)
{
    const char *token = NULL;
    ku_sr_status_t st;

    if (conf->oauth_url && !(token = ku_sr_token(p, conf, NULL, error)))
        return KU_SR_UNAVAILABLE;
    st = http_get(p, conf, url, token, body, code, error);
    if (st != KU_SR_OK || *code != 401 || !token)
        return st;
    if (!(token = ku_sr_token(p, conf, token, error)))
        return KU_SR_UNAVAILABLE;
    memset(body, 0, sizeof(*body));
    return http_get(p, conf, url, token, body, code, error);
}

static ku_sr_status_t fetch(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, held_t **out, const char **error)
{
    char *escaped = curl_easy_escape(NULL, subject, 0);
    const char *url = apr_psprintf(p, "%s/subjects/%s/versions/%s", conf->url,
                                   escaped ? escaped : "", version);
    body_t body = { 0 };
    long code = 0;
    ku_sr_status_t st;

    curl_free(escaped);
    if ((st = authorized_get(p, conf, url, &body, &code, error)) != KU_SR_OK)
        return st;
    if (code == 401 || code == 403) {
        *error = apr_psprintf(p, "schema registry %s refused the %s (HTTP %ld)", conf->url,
                              conf->oauth_url ? "OAuth2 token" : "credentials", code);
        /* A token refused even when new may be accepted later (the
         * registry has not seen the provider's new keys yet): 503. */
        return conf->oauth_url && code == 401 ? KU_SR_UNAVAILABLE : KU_SR_BROKEN;
    }
    if (code == 404) {
        *error = apr_psprintf(p, "schema registry %s has no subject '%s' version '%s'",
                              conf->url, subject, version);
        return KU_SR_UNAVAILABLE;
    }
    if (code != 200 || !body.data) {
        *error = apr_psprintf(p, "schema registry %s answered HTTP %ld", conf->url, code);
        return code >= 400 && code < 500 ? KU_SR_BROKEN : KU_SR_UNAVAILABLE;
    }
    return parse_answer(p, body.data, out, error);
}

/* --- the cache ------------------------------------------------------------------ */

static entry_t *find_entry(const char *key)
{
    entry_t *e;

    for (e = cache; e; e = e->next)
        if (!strcmp(e->key, key))
            return e;
    e = calloc(1, sizeof(*e));
    e->key = strdup(key);
    e->next = cache;
    cache = e;
    return e;
}

static int needs_fetch(const entry_t *e, int ttl, time_t now)
{
    if (e->fetching)
        return 0;
    if (!e->held)
        return e->checked == 0 || now - e->checked >= KU_SR_RETRY_SECONDS;
    return ttl > 0 && now - e->checked >= ttl;
}

/* Stores the result of a fetch (under the lock). Returns a warning to log
 * on the first failure of a streak. */
static const char *store(entry_t *e, ku_sr_status_t st, held_t *fresh, const char *error,
                         time_t now, apr_pool_t *p)
{
    e->fetching = 0;
    e->checked = now;
    if (st == KU_SR_OK) {
        held_release(e->held);
        e->held = fresh;
        ku_log_once_rearm(&e->warned);
        return NULL;
    }
    free(e->error);
    e->error = strdup(error ? error : "schema registry error");
    e->status = st;
    if (!ku_log_once(&e->warned))
        return NULL;
    return apr_pstrcat(p, e->error, e->held ? "; the cached schema stays in use"
                                            : "; requests that need it are refused", NULL);
}

ku_sr_status_t ku_sr_lookup(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, const ku_sr_schema_t **out,
                            const char **error, const char **warning)
{
    const char *key = ku_sr_cache_key(p, conf, subject, version);
    time_t now = time(NULL);
    entry_t *e;
    held_t *held;

    *warning = NULL;
    pthread_once(&curl_once, curl_init_once);
    pthread_mutex_lock(&cache_lock);
    e = find_entry(key);
    if (needs_fetch(e, conf->ttl, now)) {
        held_t *fresh = NULL;
        const char *fetch_error = NULL;
        ku_sr_status_t st;

        e->fetching = 1;
        pthread_mutex_unlock(&cache_lock);
        st = fetch(p, conf, subject, version, &fresh, &fetch_error);
        pthread_mutex_lock(&cache_lock);
        *warning = store(e, st, fresh, fetch_error, time(NULL), p);
    }
    if (!(held = e->held)) {
        ku_sr_status_t st = e->status ? e->status : KU_SR_UNAVAILABLE;

        *error = apr_pstrdup(p, e->error ? e->error : "the schema is being fetched");
        pthread_mutex_unlock(&cache_lock);
        return st;
    }
    held->refs++;
    pthread_mutex_unlock(&cache_lock);
    apr_pool_cleanup_register(p, held, release_cleanup, apr_pool_cleanup_null);
    *out = &held->s;
    return KU_SR_OK;
}
