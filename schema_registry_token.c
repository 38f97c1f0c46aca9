/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry_token.c: the schema registry's OAuth2 bearer token: the
 * client credentials grant (RFC 6749 4.4) with libcurl, the client
 * authenticated by HTTP basic (2.3.1, which every server supports), scopes
 * and audiences as form fields. One token per OAuth2 client and child,
 * kept in a list keyed like the schema cache (ku_sr_token_key), so two
 * Locations with other clients never share one. Token requests are one at
 * a time per child: threads that need a new token at once wait for the
 * first one's instead of each asking. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include "apr_strings.h"

#include "schema_cache_key.h"
#include "schema_registry_http.h"
#include "schema_registry_token.h"

#define KU_TOKEN_MAX_ANSWER (64 * 1024) /* no token answer is larger */
#define KU_TOKEN_DEFAULT_LIFE 60L

typedef struct token {
    struct token *next;
    char *key;
    char *value;              /* NULL: none */
    time_t renew_at;
} token_t;

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t request_lock = PTHREAD_MUTEX_INITIALIZER;
static token_t *tokens;

time_t ku_sr_token_renew_at(time_t now, long expires_in)
{
    long margin = expires_in / 10;

    if (margin < 1)
        margin = 1;
    if (margin > 30)
        margin = 30;
    return now + (expires_in > margin ? expires_in - margin : 0);
}

/* RFC 6750 2.1's b64token: what may follow "Bearer " in a header. */
static int is_b64token(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-._~+/");

    if (!n)
        return 0;
    return s[n + strspn(s + n, "=")] == '\0';
}

int ku_sr_token_parse(apr_pool_t *p, const char *answer, const char **token, long *expires_in,
                      const char **error)
{
    json_object *doc = json_tokener_parse(answer), *value, *life = NULL, *type;
    int has_life, ok = 0;

    if (!json_object_object_get_ex(doc, "access_token", &value)
        || !json_object_is_type(value, json_type_string))
        *error = "the answer has no access_token";
    else if (!is_b64token(json_object_get_string(value)))
        *error = "the access_token is not a bearer token";
    else if (json_object_object_get_ex(doc, "token_type", &type)
             && (!json_object_is_type(type, json_type_string)
                 || strcasecmp(json_object_get_string(type), "bearer")))
        *error = "the token_type is not Bearer";
    else if ((has_life = json_object_object_get_ex(doc, "expires_in", &life))
             && (!json_object_is_type(life, json_type_int) || json_object_get_int64(life) < 1))
        *error = "the expires_in is not a positive number";
    else {
        *token = apr_pstrdup(p, json_object_get_string(value));
        *expires_in = has_life ? (long)json_object_get_int64(life) : KU_TOKEN_DEFAULT_LIFE;
        ok = 1;
    }
    json_object_put(doc);
    return ok;
}

/* --- one token request ----------------------------------------------------------- */

static const char *escaped(apr_pool_t *p, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    const char *copy = apr_pstrdup(p, e ? e : "");

    curl_free(e);
    return copy;
}

/* name=value&... for each space separated word of list. */
static const char *form_list(apr_pool_t *p, const char *name, const char *list)
{
    const char *out = "";
    char *copy, *word, *last;

    if (!list)
        return out;
    copy = apr_pstrdup(p, list);
    for (word = apr_strtok(copy, " ", &last); word; word = apr_strtok(NULL, " ", &last))
        out = apr_pstrcat(p, out, "&", name, "=", escaped(p, word), NULL);
    return out;
}

static const char *form(apr_pool_t *p, const ku_sr_conf_t *conf)
{
    const char *scope = conf->oauth_scope ? apr_pstrcat(p, "&scope=",
                                                         escaped(p, conf->oauth_scope), NULL)
                                          : "";

    return apr_pstrcat(p, "grant_type=client_credentials", scope,
                       form_list(p, "audience", conf->oauth_audience), NULL);
}

/* The OAuth error code of a refusal (RFC 6749 5.2), when it is a plain
 * word: said in the log, the rest of the answer is not. */
static const char *oauth_error(apr_pool_t *p, const char *answer)
{
    json_object *doc = answer ? json_tokener_parse(answer) : NULL, *code;
    const char *out = "";

    if (json_object_object_get_ex(doc, "error", &code) && json_object_is_type(code, json_type_string)
        && json_object_get_string_len(code) <= 64
        && strspn(json_object_get_string(code), "abcdefghijklmnopqrstuvwxyz_")
           == (size_t)json_object_get_string_len(code))
        out = apr_pstrcat(p, " (", json_object_get_string(code), ")", NULL);
    json_object_put(doc);
    return out;
}

static const char *request_token(apr_pool_t *p, const ku_sr_conf_t *conf, long *expires_in,
                                 const char **error)
{
    ku_sr_answer_t answer = { p, KU_TOKEN_MAX_ANSWER, NULL, 0 };
    CURL *curl = ku_sr_curl_for(conf, conf->oauth_url, &answer);
    const char *body = form(p, conf), *token = NULL, *why;
    long code = 0;
    CURLcode rc;

    if (!curl) {
        *error = "libcurl: cannot start a request";
        return NULL;
    }
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, escaped(p, conf->oauth_client));
    curl_easy_setopt(curl, CURLOPT_PASSWORD, escaped(p, conf->oauth_secret ? conf->oauth_secret
                                                                           : ""));
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK)
        *error = apr_psprintf(p, "OAuth2 token endpoint %s: %s", conf->oauth_url,
                              curl_easy_strerror(rc));
    else if (code != 200)
        *error = apr_psprintf(p, "OAuth2 token endpoint %s refused client '%s': HTTP %ld%s",
                              conf->oauth_url, conf->oauth_client, code,
                              oauth_error(p, answer.data));
    else if (!answer.data || !ku_sr_token_parse(p, answer.data, &token, expires_in, &why))
        *error = apr_psprintf(p, "OAuth2 token endpoint %s: %s", conf->oauth_url,
                              answer.data ? why : "an empty answer");
    return token;
}

/* --- the child's tokens ---------------------------------------------------------- */

static token_t *find_token(const char *key)
{
    token_t *t;

    for (t = tokens; t; t = t->next)
        if (!strcmp(t->key, key))
            return t;
    t = calloc(1, sizeof(*t));
    t->key = strdup(key);
    t->next = tokens;
    tokens = t;
    return t;
}

/* The cached token, if still good and not the refused one (under list_lock). */
static const char *usable(apr_pool_t *p, token_t *t, const char *refused)
{
    if (t->value && refused && !strcmp(t->value, refused)) {
        free(t->value);
        t->value = NULL;
    }
    if (t->value && time(NULL) < t->renew_at)
        return apr_pstrdup(p, t->value);
    return NULL;
}

const char *ku_sr_token(apr_pool_t *p, const ku_sr_conf_t *conf, const char *refused,
                        const char **error)
{
    const char *key = ku_sr_token_key(p, conf), *token;
    long expires_in = 0;
    token_t *t;

    pthread_mutex_lock(&list_lock);
    t = find_token(key);
    token = usable(p, t, refused);
    pthread_mutex_unlock(&list_lock);
    if (token)
        return token;
    pthread_mutex_lock(&request_lock);
    /* Another thread may have got one while this one waited. */
    pthread_mutex_lock(&list_lock);
    token = usable(p, t, refused);
    pthread_mutex_unlock(&list_lock);
    if (!token && (token = request_token(p, conf, &expires_in, error))) {
        pthread_mutex_lock(&list_lock);
        free(t->value);
        t->value = strdup(token);
        t->renew_at = ku_sr_token_renew_at(time(NULL), expires_in);
        pthread_mutex_unlock(&list_lock);
    }
    pthread_mutex_unlock(&request_lock);
    return token;
}
