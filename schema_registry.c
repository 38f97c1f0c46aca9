/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry.c: GET /subjects/S/versions/V (and GET /schemas/ids/N,
 * POST /subjects/S/versions for the REST dialects) from a Confluent-compatible
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
#include "apr_tables.h"

#include "log_once.h"
#include "schema_cache_key.h"
#include "avro_refs.h"
#include "schema_registry.h"
#include "schema_registry_http.h"
#include "schema_registry_token.h"

/* A subject/version without a schema (never fetched, or failed) is asked
 * again at most this often: requests never each reach the registry. */
#define KU_SR_RETRY_SECONDS 1
/* No schema is larger: a longer answer stops the transfer. */
#define KU_SR_MAX_ANSWER (4 * 1024 * 1024)
/* Ids and inline schemas are the client's choice: past this many entries a
 * child asks without caching, so no client can grow its memory. */
#define KU_SR_MAX_ENTRIES 1000

/* What one cache entry asks the registry. */
typedef enum { KU_ASK_VERSION, KU_ASK_ID, KU_ASK_REGISTER } ku_ask_kind_t;

typedef struct {
    ku_ask_kind_t kind;
    const char *subject;      /* VERSION, REGISTER */
    const char *version;      /* VERSION */
    const char *message;      /* VERSION: a PROTOBUF subject's message, or NULL */
    int id;                   /* ID */
    const char *type;         /* REGISTER: "AVRO" or "JSON" */
    const char *schema;       /* REGISTER: the text */
} ku_ask_t;

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
static entry_t *cache;
static int cache_entries;

static void held_release(held_t *h)
{
    if (h && --h->refs == 0) {
        ku_avro_schema_free(h->s.avro);
        ku_js_free(h->s.json);
        ku_pb_schema_free(h->s.pb);
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

/* A GET, or a POST of post (a JSON text); with the bearer token when there
 * is one, else basic auth when the Location has it. */
static ku_sr_status_t http_call(apr_pool_t *p, const ku_sr_conf_t *conf, const char *url,
                                const char *bearer, const char *post, ku_sr_answer_t *body,
                                long *code, const char **error)
{
    CURL *curl;
    struct curl_slist *headers = header_list(p, conf->headers);
    struct curl_slist *with_type = NULL;
    CURLcode rc;

    body->p = p;
    body->max = KU_SR_MAX_ANSWER;
    curl = ku_sr_curl_for(conf, url, body);
    if (post && (!conf->headers || headers)) {
        with_type = curl_slist_append(headers,
                                      "Content-Type: application/vnd.schemaregistry.v1+json");
        headers = with_type ? with_type : headers;
    }
    if (!curl || (conf->headers && !headers) || (post && !with_type)) {
        *error = "libcurl: cannot start a request";
        curl_slist_free_all(headers);
        if (curl)
            curl_easy_cleanup(curl);
        return KU_SR_UNAVAILABLE;
    }
    if (headers)
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (post)
        curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, post);
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

/* The call, with the OAuth2 token when there is a client: a token the
 * registry answers 401 to (revoked, or signed with a key it dropped) is
 * replaced by a new one once, and the call tried once more. */
static ku_sr_status_t authorized_call(apr_pool_t *p, const ku_sr_conf_t *conf, const char *url,
                                      const char *post, ku_sr_answer_t *body, long *code,
                                      const char **error)
{
    const char *token = NULL;
    ku_sr_status_t st;

    if (conf->oauth_url && !(token = ku_sr_token(p, conf, NULL, error)))
        return KU_SR_UNAVAILABLE;
    st = http_call(p, conf, url, token, post, body, code, error);
    if (st != KU_SR_OK || *code != 401 || !token)
        return st;
    if (!(token = ku_sr_token(p, conf, token, error)))
        return KU_SR_UNAVAILABLE;
    memset(body, 0, sizeof(*body));
    return http_call(p, conf, url, token, post, body, code, error);
}

/* The statuses every other ask shares: credentials refused, other errors. */
static ku_sr_status_t answer_status(apr_pool_t *p, const ku_sr_conf_t *conf, long code,
                                    const ku_sr_answer_t *body, const char **error)
{
    if (code == 401 || code == 403) {
        *error = apr_psprintf(p, "schema registry %s refused the %s (HTTP %ld)", conf->url,
                              conf->oauth_url ? "OAuth2 token" : "credentials", code);
        /* A token refused even when new may be accepted later (the
         * registry has not seen the provider's new keys yet): 503. */
        return conf->oauth_url && code == 401 ? KU_SR_UNAVAILABLE : KU_SR_BROKEN;
    }
    if (code != 200 || !body->data) {
        *error = apr_psprintf(p, "schema registry %s answered HTTP %ld", conf->url, code);
        return code >= 400 && code < 500 ? KU_SR_BROKEN : KU_SR_UNAVAILABLE;
    }
    return KU_SR_OK;
}

/* The parsed answer to GET /subjects/S/versions/V, or a status and *error. */
static ku_sr_status_t get_version(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                                  const char *version, json_object **doc, const char **error)
{
    char *escaped = curl_easy_escape(NULL, subject, 0);
    const char *url = apr_psprintf(p, "%s/subjects/%s/versions/%s", conf->url,
                                   escaped ? escaped : "", version);
    ku_sr_answer_t body = { 0 };
    long code = 0;
    ku_sr_status_t st;
    json_object *id, *schema;

    curl_free(escaped);
    if ((st = authorized_call(p, conf, url, NULL, &body, &code, error)) != KU_SR_OK)
        return st;
    if (code == 404) {
        *error = apr_psprintf(p, "schema registry %s has no subject '%s' version '%s'",
                              conf->url, subject, version);
        return KU_SR_UNAVAILABLE;
    }
    if ((st = answer_status(p, conf, code, &body, error)) != KU_SR_OK)
        return st;
    *doc = json_tokener_parse(body.data);
    if (!json_object_object_get_ex(*doc, "id", &id) || !json_object_is_type(id, json_type_int)
        || !json_object_object_get_ex(*doc, "schema", &schema)
        || !json_object_is_type(schema, json_type_string)) {
        json_object_put(*doc);
        *doc = NULL;
        *error = "the schema registry's answer has no id and schema";
        return KU_SR_UNAVAILABLE;
    }
    return KU_SR_OK;
}

static const char *member(json_object *o, const char *name)
{
    json_object *v;

    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

static int has_file(const apr_array_header_t *files, const char *name)
{
    int i;

    for (i = 0; i < files->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(files, i, ku_sr_ref_t).name, name))
            return 1;
    return 0;
}

/* The schemas doc's "references" name (subject and version), fetched
 * depth first: each lands in files after the ones it references itself. */
static ku_sr_status_t fetch_refs(apr_pool_t *p, const ku_sr_conf_t *conf, json_object *doc,
                                 int depth, apr_array_header_t *files, const char **error)
{
    json_object *refs;
    size_t i;

    if (!json_object_object_get_ex(doc, "references", &refs)
        || !json_object_is_type(refs, json_type_array))
        return KU_SR_OK;
    for (i = 0; i < json_object_array_length(refs); i++) {
        json_object *ref = json_object_array_get_idx(refs, i), *sub = NULL;
        const char *name = member(ref, "name"), *subject = member(ref, "subject");
        const char *version = member(ref, "version");
        ku_sr_ref_t *file;
        ku_sr_status_t st;

        if (!name || !subject || !version) {
            *error = "a reference in the schema registry's answer lacks name, subject or version";
            return KU_SR_BROKEN;
        }
        if (has_file(files, name))
            continue;
        if (depth >= KU_SR_MAX_REF_DEPTH || files->nelts >= KU_SR_MAX_REFS) {
            *error = apr_psprintf(p, "the schema's references go deeper than %d or number more "
                                  "than %d", KU_SR_MAX_REF_DEPTH, KU_SR_MAX_REFS);
            return KU_SR_BROKEN;
        }
        if ((st = get_version(p, conf, subject, version, &sub, error)) != KU_SR_OK) {
            *error = apr_psprintf(p, "reference %s: %s", name, *error);
            return st;
        }
        st = fetch_refs(p, conf, sub, depth + 1, files, error);
        file = apr_array_push(files);
        file->name = apr_pstrdup(p, name);
        file->schema = apr_pstrdup(p, member(sub, "schema"));
        json_object_put(sub);
        if (st != KU_SR_OK)
            return st;
    }
    return KU_SR_OK;
}

static ku_sr_status_t parse_protobuf(apr_pool_t *p, held_t *h, const apr_array_header_t *files,
                                     const char *message, const char **error)
{
    ku_pb_file_t *pb = apr_pcalloc(p, sizeof(*pb) * (files->nelts + 1));
    char why[512];
    int i;

    for (i = 0; i < files->nelts; i++) {
        pb[i].name = APR_ARRAY_IDX(files, i, ku_sr_ref_t).name;
        pb[i].text = APR_ARRAY_IDX(files, i, ku_sr_ref_t).schema;
    }
    if (!(h->s.pb = ku_pb_schema_parse(h->s.schema, pb, files->nelts, message, why,
                                       sizeof(why)))) {
        *error = apr_psprintf(p, "Protobuf schema id %d: %s", h->s.id, why);
        return KU_SR_BROKEN;
    }
    return KU_SR_OK;
}

static ku_sr_status_t parse_avro(apr_pool_t *p, held_t *h, const apr_array_header_t *files,
                                 const char **error)
{
    const char *text = h->s.schema;

    if (files->nelts
        && !(text = ku_avro_inline_refs(p, text, (const ku_sr_ref_t *)files->elts,
                                        files->nelts, error)))
        return KU_SR_BROKEN;
    return (h->s.avro = ku_avro_schema_parse(text, error, p)) ? KU_SR_OK : KU_SR_BROKEN;
}

/* Turns the registry's answer (and its references) into a held schema. */
static ku_sr_status_t parse_answer(apr_pool_t *p, const ku_sr_conf_t *conf, json_object *doc,
                                   const char *message, held_t **out, const char **error)
{
    const char *type = member(doc, "schemaType");
    apr_array_header_t *files = apr_array_make(p, 4, sizeof(ku_sr_ref_t));
    ku_sr_status_t st = KU_SR_OK;
    char why[512];
    held_t *h;

    if (type && strcmp(type, "AVRO") && strcmp(type, "JSON") && strcmp(type, "PROTOBUF")) {
        *error = apr_psprintf(p, "schema type %s is not supported (AVRO, JSON and PROTOBUF are)",
                              type);
        return KU_SR_BROKEN;
    }
    if (message && (!type || strcmp(type, "PROTOBUF"))) {
        *error = apr_psprintf(p, "message=%s is for PROTOBUF subjects; this one is %s", message,
                              type ? type : "AVRO");
        return KU_SR_BROKEN;
    }
    /* JSON Schema references are not resolved (README: JSON Schema). */
    if ((!type || strcmp(type, "JSON"))
        && (st = fetch_refs(p, conf, doc, 0, files, error)) != KU_SR_OK)
        return st;
    h = calloc(1, sizeof(*h));
    h->refs = 1;
    h->s.id = json_object_get_int(json_object_object_get(doc, "id"));
    h->s.schema = strdup(member(doc, "schema"));
    h->s.is_avro = !type || !strcmp(type, "AVRO");
    h->s.is_protobuf = type && !strcmp(type, "PROTOBUF");
    if (h->s.is_protobuf)
        st = parse_protobuf(p, h, files, message, error);
    else if (h->s.is_avro)
        st = parse_avro(p, h, files, error);
    else if (!(h->s.json = ku_js_compile(h->s.schema, why, sizeof(why)))) {
        *error = apr_psprintf(p, "JSON Schema id %d: %s", h->s.id, why);
        st = KU_SR_BROKEN;
    }
    if (st != KU_SR_OK) {
        held_release(h);
        return st;
    }
    *out = h;
    return KU_SR_OK;
}

static ku_sr_status_t fetch_version(apr_pool_t *p, const ku_sr_conf_t *conf,
                                    const ku_ask_t *ask, held_t **out, const char **error)
{
    json_object *doc = NULL;
    ku_sr_status_t st = get_version(p, conf, ask->subject, ask->version, &doc, error);

    if (st != KU_SR_OK)
        return st;
    st = parse_answer(p, conf, doc, ask->message, out, error);
    json_object_put(doc);
    return st;
}

/* GET /schemas/ids/N: the answer has no "id"; the one asked is added. */
static ku_sr_status_t fetch_id(apr_pool_t *p, const ku_sr_conf_t *conf, int id, held_t **out,
                               const char **error)
{
    const char *url = apr_psprintf(p, "%s/schemas/ids/%d", conf->url, id);
    ku_sr_answer_t body = { 0 };
    long code = 0;
    ku_sr_status_t st;
    json_object *doc, *schema;

    if ((st = authorized_call(p, conf, url, NULL, &body, &code, error)) != KU_SR_OK)
        return st;
    if (code == 404) {
        *error = apr_psprintf(p, "Schema %d not found", id);
        return KU_SR_INVALID;
    }
    if ((st = answer_status(p, conf, code, &body, error)) != KU_SR_OK)
        return st;
    doc = json_tokener_parse(body.data);
    if (!json_object_object_get_ex(doc, "schema", &schema)
        || !json_object_is_type(schema, json_type_string)) {
        json_object_put(doc);
        *error = "the schema registry's answer has no schema";
        return KU_SR_UNAVAILABLE;
    }
    json_object_object_add(doc, "id", json_object_new_int(id));
    st = parse_answer(p, conf, doc, NULL, out, error);
    json_object_put(doc);
    return st;
}

/* What a registry's error answer says ({"error_code","message"}), for the
 * client whose inline schema it refused. */
static const char *registry_message(apr_pool_t *p, const char *text)
{
    json_object *doc = text ? json_tokener_parse(text) : NULL, *m;
    const char *out = "the schema registry refused the schema";

    if (json_object_object_get_ex(doc, "message", &m) && json_object_is_type(m, json_type_string))
        out = apr_pstrdup(p, json_object_get_string(m));
    json_object_put(doc);
    return out;
}

/* An inline schema (no references) parsed here first, so one we cannot
 * encode with is never registered; then registered. The registry's 409
 * (incompatible) and 422 (invalid) are the client's. */
static ku_sr_status_t fetch_register(apr_pool_t *p, const ku_sr_conf_t *conf,
                                     const ku_ask_t *ask, held_t **out, const char **error)
{
    char *escaped = curl_easy_escape(NULL, ask->subject, 0);
    const char *url = apr_psprintf(p, "%s/subjects/%s/versions", conf->url,
                                   escaped ? escaped : "");
    json_object *req = json_object_new_object(), *doc = NULL, *id;
    const char *post;
    ku_sr_answer_t body = { 0 };
    long code = 0;
    ku_sr_status_t st;
    held_t *h = NULL;

    curl_free(escaped);
    json_object_object_add(req, "schema", json_object_new_string(ask->schema));
    json_object_object_add(req, "schemaType", json_object_new_string(ask->type));
    post = apr_pstrdup(p, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
    json_object_object_add(req, "id", json_object_new_int(0));
    st = parse_answer(p, conf, req, NULL, &h, error);
    json_object_put(req);
    if (st != KU_SR_OK)
        return KU_SR_INVALID;
    st = authorized_call(p, conf, url, post, &body, &code, error);
    if (st == KU_SR_OK && (code == 409 || code == 422)) {
        *error = registry_message(p, body.data);
        st = KU_SR_INVALID;
    }
    else if (st == KU_SR_OK)
        st = answer_status(p, conf, code, &body, error);
    if (st == KU_SR_OK && (!json_object_object_get_ex(doc = json_tokener_parse(body.data), "id",
                                                      &id)
                           || !json_object_is_type(id, json_type_int))) {
        *error = "the schema registry's answer has no id";
        st = KU_SR_UNAVAILABLE;
    }
    if (st == KU_SR_OK)
        h->s.id = json_object_get_int(id);
    json_object_put(doc);
    if (st != KU_SR_OK) {
        held_release(h);
        return st;
    }
    *out = h;
    return KU_SR_OK;
}

static ku_sr_status_t fetch(apr_pool_t *p, const ku_sr_conf_t *conf, const ku_ask_t *ask,
                            held_t **out, const char **error)
{
    if (ask->kind == KU_ASK_ID)
        return fetch_id(p, conf, ask->id, out, error);
    if (ask->kind == KU_ASK_REGISTER)
        return fetch_register(p, conf, ask, out, error);
    return fetch_version(p, conf, ask, out, error);
}

/* --- the cache ------------------------------------------------------------------ */

/* The key's entry; NULL when there is none and the cache is full. */
static entry_t *find_entry(const char *key)
{
    entry_t *e;

    for (e = cache; e; e = e->next)
        if (!strcmp(e->key, key))
            return e;
    if (cache_entries >= KU_SR_MAX_ENTRIES)
        return NULL;
    cache_entries++;
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

/* A full cache: asked for this request alone, the schema freed with p. */
static ku_sr_status_t lookup_uncached(apr_pool_t *p, const ku_sr_conf_t *conf,
                                      const ku_ask_t *ask, const ku_sr_schema_t **out,
                                      const char **error)
{
    held_t *h = NULL;
    ku_sr_status_t st = fetch(p, conf, ask, &h, error);

    if (st != KU_SR_OK)
        return st;
    apr_pool_cleanup_register(p, h, release_cleanup, apr_pool_cleanup_null);
    *out = &h->s;
    return KU_SR_OK;
}

static ku_sr_status_t lookup(apr_pool_t *p, const ku_sr_conf_t *conf, const char *key,
                             const ku_ask_t *ask, const ku_sr_schema_t **out,
                             const char **error, const char **warning)
{
    time_t now = time(NULL);
    entry_t *e;
    held_t *held;

    *warning = NULL;
    pthread_mutex_lock(&cache_lock);
    if (!(e = find_entry(key))) {
        pthread_mutex_unlock(&cache_lock);
        return lookup_uncached(p, conf, ask, out, error);
    }
    if (needs_fetch(e, conf->ttl, now)) {
        held_t *fresh = NULL;
        const char *fetch_error = NULL;
        ku_sr_status_t st;

        e->fetching = 1;
        pthread_mutex_unlock(&cache_lock);
        st = fetch(p, conf, ask, &fresh, &fetch_error);
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

ku_sr_status_t ku_sr_lookup(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, const char *message,
                            const ku_sr_schema_t **out, const char **error,
                            const char **warning)
{
    ku_ask_t ask = { KU_ASK_VERSION, subject, version, message, -1, NULL, NULL };

    return lookup(p, conf, ku_sr_cache_key(p, conf, subject, version, message), &ask, out,
                  error, warning);
}

ku_sr_status_t ku_sr_lookup_id(apr_pool_t *p, const ku_sr_conf_t *conf, int id,
                               const ku_sr_schema_t **out, const char **error,
                               const char **warning)
{
    ku_ask_t ask = { KU_ASK_ID, NULL, NULL, NULL, id, NULL, NULL };

    return lookup(p, conf, ku_sr_cache_key_id(p, conf, id), &ask, out, error, warning);
}

ku_sr_status_t ku_sr_register(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                              const char *type, const char *schema,
                              const ku_sr_schema_t **out, const char **error,
                              const char **warning)
{
    ku_ask_t ask = { KU_ASK_REGISTER, subject, NULL, NULL, -1, type, schema };

    return lookup(p, conf, ku_sr_cache_key_registered(p, conf, subject, type, schema), &ask,
                  out, error, warning);
}
