/* SPDX-License-Identifier: Apache-2.0 */
/* conf_props.c: the librdkafka producer properties a configuration makes,
 * the producer's key and name built from them, and which properties
 * KafkaUpstreamProperty may not set. */
#include <string.h>

#include "apr_strings.h"
#include "librdkafka/rdkafka.h"

#include "conf.h"
#include "conf_props.h"
#include "oauth.h"

/* --- KafkaUpstreamProperty: what it may not set ---------------------------------- */

/* Properties that load code or run commands. */
static const char *const refused_props[] = {
    "plugin.library.paths", "sasl.kerberos.kinit.cmd", "ssl.engine.location",
    "ssl.engine.id", "interceptors", NULL
};

/* Properties a directive sets: set them with the directive. */
static const struct { const char *prop, *directive; } owned_props[] = {
    { "bootstrap.servers", "KafkaUpstreamBootstrapServers" },
    { "metadata.broker.list", "KafkaUpstreamBootstrapServers" },
    { "socket.timeout.ms", "KafkaUpstreamTimeout" },
    { "connections.max.idle.ms", "KafkaUpstreamKeepalive" },
    { "socket.keepalive.enable", "KafkaUpstreamKeepaliveEnabled" },
    { "acks", "KafkaUpstreamAcks" },
    { "request.required.acks", "KafkaUpstreamAcks" },
    { "request.timeout.ms", "KafkaUpstreamRequestTimeout" },
    { "batch.num.messages", "KafkaUpstreamBatchMessages" },
    { "batch.size", "KafkaUpstreamBatchBytes" },
    { "retries", "KafkaUpstreamRetries" },
    { "message.send.max.retries", "KafkaUpstreamRetries" },
    { "retry.backoff.ms", "KafkaUpstreamRetryBackoff" },
    { "linger.ms", "KafkaUpstreamAsyncFlushTimeout" },
    { "queue.buffering.max.ms", "KafkaUpstreamAsyncFlushTimeout" },
    { "queue.buffering.max.messages", "KafkaUpstreamBufferMessages" },
    { "message.timeout.ms", "KafkaUpstreamDeliveryTimeout" },
    { "delivery.timeout.ms", "KafkaUpstreamDeliveryTimeout" },
    { "security.protocol", "KafkaUpstreamSSL and KafkaUpstreamSASLMechanism" },
    { "enable.ssl.certificate.verification", "KafkaUpstreamSSLVerify" },
    { "ssl.endpoint.identification.algorithm", "KafkaUpstreamSSLVerify" },
    { "ssl.ca.location", "KafkaUpstreamSSLCACertificateFile" },
    { "ssl.certificate.location", "KafkaUpstreamSSLCertificateFile" },
    { "ssl.key.location", "KafkaUpstreamSSLCertificateKeyFile" },
    { "ssl.key.pem", "KafkaUpstreamSSLCertificateKeyFile" },
    { "sasl.mechanisms", "KafkaUpstreamSASLMechanism" },
    { "sasl.mechanism", "KafkaUpstreamSASLMechanism" },
    { "sasl.username", "KafkaUpstreamSASLUser" },
    { "sasl.password", "KafkaUpstreamSASLPassword" },
    { "sasl.scram.tokenauth", "KafkaUpstreamSASLTokenAuth" },
    { "client.id", "KafkaUpstreamClusterName" },
    { "compression.codec", "KafkaUpstreamCompression" },
    { "compression.type", "KafkaUpstreamCompression" },
    { "partitioner", "KafkaUpstreamPartitioner" },
    { "enable.idempotence", "KafkaUpstreamIdempotence" },
    { NULL, NULL }
};

/* KIP-48 delegation tokens need the SCRAM extension tokenauth=true, which
 * only a librdkafka with the property sasl.scram.tokenauth sends (Debian's
 * 2.0.2 patched by librdkafka/build.sh). Asked once, of the library loaded. */
int ku_librdkafka_has_tokenauth(void)
{
    static int known = -1;
    rd_kafka_conf_t *scratch;
    char errstr[512];

    if (known == -1) {
        scratch = rd_kafka_conf_new();
        known = rd_kafka_conf_set(scratch, "sasl.scram.tokenauth", "false", errstr,
                                  sizeof(errstr)) == RD_KAFKA_CONF_OK;
        rd_kafka_conf_destroy(scratch);
    }
    return known;
}

int ku_prop_is_secret(const char *name)
{
    return strstr(name, "password") || strstr(name, "secret") || !strcmp(name, "ssl.key.pem");
}

const char *ku_prop_refusal(apr_pool_t *p, const char *name)
{
    int i;

    for (i = 0; refused_props[i]; i++)
        if (!strcmp(name, refused_props[i]))
            return apr_psprintf(p, "'%s' is refused: it loads code or runs commands", name);
    for (i = 0; owned_props[i].prop; i++)
        if (!strcmp(name, owned_props[i].prop))
            return apr_psprintf(p, "'%s' is set with %s", name, owned_props[i].directive);
    if (ku_oauth_owned_prop(name))
        return apr_psprintf(p, "'%s' is set with %s", name, ku_oauth_owned_prop(name));
    return NULL;
}

/* --- producer properties -------------------------------------------------- */

static void push_prop(apr_array_header_t *props, const char *name, const char *value)
{
    ku_prop_t *prop = apr_array_push(props);
    prop->name = name;
    prop->value = value;
}

static void push_num(apr_pool_t *p, apr_array_header_t *props, const char *name, int v)
{
    push_prop(props, name, apr_itoa(p, v));
}

static const char *security_protocol(const ku_dir_conf_t *c)
{
    int ssl = ku_conf_flag(c, KU_FLAG_SSL), sasl = ku_conf_str(c, KU_STR_SASL_MECHANISM) != NULL;

    return sasl ? (ssl ? "sasl_ssl" : "sasl_plaintext") : (ssl ? "ssl" : "plaintext");
}

static void push_security_props(apr_pool_t *p, apr_array_header_t *props,
                                const ku_dir_conf_t *c)
{
    int verify = ku_conf_flag(c, KU_FLAG_SSL_VERIFY);
    static const struct { ku_str_t str; const char *prop; } copied[] = {
        { KU_STR_SSL_CA_FILE, "ssl.ca.location" },
        { KU_STR_SSL_CERT_FILE, "ssl.certificate.location" },
        { KU_STR_SSL_KEY_PEM, "ssl.key.pem" },
        { KU_STR_SASL_MECHANISM, "sasl.mechanisms" },
        { KU_STR_SASL_USER, "sasl.username" },
        { KU_STR_SASL_PASSWORD, "sasl.password" },
    };
    size_t i;

    push_prop(props, "security.protocol", security_protocol(c));
    if (ku_conf_flag(c, KU_FLAG_SSL)) {
        push_prop(props, "enable.ssl.certificate.verification", verify ? "true" : "false");
        push_prop(props, "ssl.endpoint.identification.algorithm", verify ? "https" : "none");
    }
    for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
        if (ku_conf_str(c, copied[i].str))
            push_prop(props, copied[i].prop, ku_conf_str(c, copied[i].str));
    /* Only when On: a librdkafka without the property refuses its name. */
    if (ku_conf_flag(c, KU_FLAG_SASL_TOKEN_AUTH))
        push_prop(props, "sasl.scram.tokenauth", "true");
    ku_oauth_push_props(p, props, c);
}

apr_array_header_t *ku_conf_producer_props(apr_pool_t *p, const ku_dir_conf_t *c)
{
    apr_array_header_t *props = apr_array_make(p, 16, sizeof(ku_prop_t));
    int async = ku_conf_answers_early(c);
    int idempotent = ku_conf_flag(c, KU_FLAG_IDEMPOTENCE);
    const char *partitioner = ku_conf_str(c, KU_STR_PARTITIONER);
    const char *cluster = ku_conf_str(c, KU_STR_CLUSTER_NAME);

    push_prop(props, "client.id", cluster ? apr_pstrcat(p, "mod_kafka_upstream-", cluster, NULL)
                                          : "mod_kafka_upstream");
    push_prop(props, "bootstrap.servers", ku_conf_str(c, KU_STR_BOOTSTRAP_SERVERS));
    push_num(p, props, "socket.timeout.ms", ku_conf_num(c, KU_NUM_TIMEOUT));
    push_num(p, props, "connections.max.idle.ms", ku_conf_num(c, KU_NUM_KEEPALIVE));
    push_prop(props, "socket.keepalive.enable",
              ku_conf_flag(c, KU_FLAG_KEEPALIVE_ENABLED) ? "true" : "false");
    /* The idempotent producer needs every in-sync replica's acknowledgement. */
    push_prop(props, "acks", idempotent ? "all" : ku_conf_str(c, KU_STR_ACKS));
    push_prop(props, "enable.idempotence", idempotent ? "true" : "false");
    push_prop(props, "compression.codec", ku_conf_str(c, KU_STR_COMPRESSION));
    push_num(p, props, "request.timeout.ms", ku_conf_num(c, KU_NUM_REQUEST_TIMEOUT));
    push_num(p, props, "batch.num.messages", ku_conf_num(c, KU_NUM_BATCH_MESSAGES));
    push_num(p, props, "batch.size", ku_conf_num(c, KU_NUM_BATCH_BYTES));
    push_num(p, props, "retries", ku_conf_num(c, KU_NUM_RETRIES));
    push_num(p, props, "retry.backoff.ms", ku_conf_num(c, KU_NUM_RETRY_BACKOFF));
    push_num(p, props, "linger.ms",
             async ? ku_conf_num(c, KU_NUM_ASYNC_FLUSH_TIMEOUT) : KU_SYNC_LINGER_MS);
    push_num(p, props, "queue.buffering.max.messages", ku_conf_num(c, KU_NUM_BUFFER_MESSAGES));
    push_num(p, props, "message.timeout.ms", ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT));
    /* murmur2_random: where a Java producer puts a key (the default);
     * crc32: where Kong (lua-resty-kafka) puts it, librdkafka's "consistent". */
    push_prop(props, "partitioner", strcmp(partitioner, "crc32") ? partitioner : "consistent");
    /* A topic that does not exist fails within a second instead of being
     * held for librdkafka's default 30 s. */
    push_num(p, props, "topic.metadata.propagation.max.ms",
             ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT) < 1000
                 ? ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT) : 1000);
    push_security_props(p, props, c);
    if (ku_conf_properties(c))
        apr_array_cat(props, ku_conf_properties(c));
    return props;
}

const char *ku_conf_producer_key(apr_pool_t *p, const ku_dir_conf_t *c)
{
    const apr_array_header_t *props = ku_conf_producer_props(p, c);
    const ku_prop_t *prop = (const ku_prop_t *)props->elts;
    char *key = apr_psprintf(p, "shutdown=%d", ku_conf_num(c, KU_NUM_SHUTDOWN_TIMEOUT));
    int i;

    for (i = 0; i < props->nelts; i++)
        key = apr_pstrcat(p, key, "\n", prop[i].name, "=", prop[i].value, NULL);
    return key;
}

const char *ku_conf_producer_name(apr_pool_t *p, const ku_dir_conf_t *c)
{
    const char *cluster = ku_conf_str(c, KU_STR_CLUSTER_NAME);
    const char *section = ku_conf_section(c);

    return apr_psprintf(p, "%s (%s%s%s)", section ? section : "server config",
                        cluster ? cluster : "", cluster ? " " : "",
                        ku_conf_str(c, KU_STR_BOOTSTRAP_SERVERS));
}
