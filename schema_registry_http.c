/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry_http.c: see schema_registry_http.h. */
#include <pthread.h>
#include <string.h>

#include "schema_registry_http.h"

#define KU_SR_CONNECT_TIMEOUT_MS 2000L
#define KU_SR_TIMEOUT_MS 5000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t collect(char *ptr, size_t size, size_t n, void *arg)
{
    ku_sr_answer_t *a = arg;
    size_t add = size * n;
    char *grown;

    if (a->len + add > a->max)
        return 0;             /* larger than any answer we take: stop */
    grown = apr_palloc(a->p, a->len + add + 1);
    if (a->len)
        memcpy(grown, a->data, a->len);
    memcpy(grown + a->len, ptr, add);
    a->data = grown;
    a->len += add;
    a->data[a->len] = '\0';
    return add;
}

CURL *ku_sr_curl_for(const ku_sr_conf_t *conf, const char *url, ku_sr_answer_t *answer)
{
    CURL *curl;

    pthread_once(&curl_once, curl_init_once);
    if (!(curl = curl_easy_init()))
        return NULL;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, KU_SR_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, KU_SR_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, conf->ssl_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, conf->ssl_verify ? 2L : 0L);
    if (conf->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, conf->ca_file);
    return curl;
}
