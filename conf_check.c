/* SPDX-License-Identifier: Apache-2.0 */
/* conf_check.c: what single directives cannot check: their combination,
 * on the merged conf of each section (ku_conf_check in conf.h), and every
 * value as librdkafka judges it. */
#include <string.h>

#include "apr_strings.h"
#include "librdkafka/rdkafka.h"

#include "conf.h"
#include "conf_props.h"
#include "oauth.h"
#include "identity.h"
#include "schema_conf.h"

/* The TLS files: a key and its certificate go together, and need TLS. */
static const char *tls_error(apr_pool_t *p, const ku_dir_conf_t *c)
{
    const char *ca = ku_conf_str(c, KU_STR_SSL_CA_FILE);
    const char *cert = ku_conf_str(c, KU_STR_SSL_CERT_FILE);
    const char *key = ku_conf_str(c, KU_STR_SSL_KEY_PEM);

    if (key && !cert)
        return "KafkaUpstreamSSLCertificateKeyFile is set without "
               "KafkaUpstreamSSLCertificateFile";
    if (cert && !key)
        return "KafkaUpstreamSSLCertificateFile is set without "
               "KafkaUpstreamSSLCertificateKeyFile";
    if (!ku_conf_flag(c, KU_FLAG_SSL) && (ca || cert))
        return apr_psprintf(p, "%s is set but KafkaUpstreamSSL is Off",
                            ca ? "KafkaUpstreamSSLCACertificateFile"
                               : "KafkaUpstreamSSLCertificateFile");
    return NULL;
}

/* The SASL login: a mechanism with what it logs in with. */
static const char *sasl_error(apr_pool_t *p, const ku_dir_conf_t *c)
{
    const char *mechanism = ku_conf_str(c, KU_STR_SASL_MECHANISM);
    const char *user = ku_conf_str(c, KU_STR_SASL_USER);
    const char *password = ku_conf_str(c, KU_STR_SASL_PASSWORD);
    /* OAUTHBEARER logs in with a client ID and secret: oauth.c checks those.
     * An identity Location logs in with the caller's: identity.c checks. */
    int password_login = mechanism && strcmp(mechanism, "OAUTHBEARER")
                         && !ku_identity_enabled(c);

    if (password_login && !user)
        return "KafkaUpstreamSASLMechanism is set without KafkaUpstreamSASLUser";
    if (password_login && !password)
        return "KafkaUpstreamSASLMechanism is set without KafkaUpstreamSASLPassword";
    if (!mechanism && (user || password))
        return apr_psprintf(p, "%s is set without KafkaUpstreamSASLMechanism",
                            user ? "KafkaUpstreamSASLUser" : "KafkaUpstreamSASLPassword");
    if (!ku_conf_flag(c, KU_FLAG_SASL_TOKEN_AUTH))
        return NULL;
    if (!mechanism || strncmp(mechanism, "SCRAM-", 6))
        return apr_psprintf(p, "KafkaUpstreamSASLTokenAuth On needs KafkaUpstreamSASLMechanism "
                            "SCRAM-SHA-256 or SCRAM-SHA-512 (it is %s): Kafka takes "
                            "delegation tokens over SCRAM only",
                            mechanism ? mechanism : "not set");
    if (!ku_librdkafka_has_tokenauth())
        return apr_psprintf(p, "KafkaUpstreamSASLTokenAuth On: librdkafka %s cannot "
                            "authenticate with a delegation token (no sasl.scram.tokenauth); "
                            "build the module with ./configure --with-librdkafka=PREFIX, "
                            "PREFIX from librdkafka/build.sh (README: Delegation tokens)",
                            rd_kafka_version_str());
    return NULL;
}

/* In the order the checks always ran: TLS, OAuth, SASL. */
static const char *security_error(apr_pool_t *p, const ku_dir_conf_t *c)
{
    const char *error;

    if ((error = tls_error(p, c)) || (error = ku_oauth_check(p, c))
        || (error = ku_identity_check(p, c)))
        return error;
    return sasl_error(p, c);
}

const char *ku_conf_check(apr_pool_t *p, const ku_dir_conf_t *c)
{
    rd_kafka_conf_t *scratch;
    const apr_array_header_t *props;
    const ku_prop_t *prop;
    char errstr[512];
    const char *error = NULL;
    int i;

    if (!ku_conf_is_complete(c))
        return NULL; /* checked per request: 500 where the handler runs */
    if (ku_conf_answers_early(c)
        && ku_conf_num(c, KU_NUM_ASYNC_FLUSH_TIMEOUT) >= ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT))
        return apr_psprintf(p, "KafkaUpstreamAsyncFlushTimeout (%d) must be lower "
                            "than KafkaUpstreamDeliveryTimeout (%d)",
                            ku_conf_num(c, KU_NUM_ASYNC_FLUSH_TIMEOUT),
                            ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT));
    /* rd_kafka_new() refuses linger.ms >= message.timeout.ms, which the
     * scratch conf below does not check; a sync Location lingers
     * KU_SYNC_LINGER_MS. */
    if (!ku_conf_answers_early(c)
        && ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT) <= KU_SYNC_LINGER_MS)
        return apr_psprintf(p, "KafkaUpstreamDeliveryTimeout (%d) must be greater "
                            "than %d with KafkaUpstreamAsync Off",
                            ku_conf_num(c, KU_NUM_DELIVERY_TIMEOUT), KU_SYNC_LINGER_MS);
    if ((error = security_error(p, c)) || (error = ku_schema_conf_check(p, c)))
        return error;
    if (ku_conf_flag(c, KU_FLAG_IDEMPOTENCE) && ku_conf_str_is_set(c, KU_STR_ACKS)
        && strcmp(ku_conf_str(c, KU_STR_ACKS), "all"))
        return apr_psprintf(p, "KafkaUpstreamIdempotence On needs KafkaUpstreamAcks all "
                            "(it is %s)", ku_conf_str(c, KU_STR_ACKS));
    if (ku_conf_flag(c, KU_FLAG_IDEMPOTENCE) && ku_conf_num(c, KU_NUM_RETRIES) == 0)
        return "KafkaUpstreamIdempotence On needs KafkaUpstreamRetries above 0";
    /* Let librdkafka judge every value; a scratch conf starts no thread. */
    scratch = rd_kafka_conf_new();
    props = ku_conf_producer_props(p, c);
    prop = (const ku_prop_t *)props->elts;
    for (i = 0; i < props->nelts && !error; i++)
        if (rd_kafka_conf_set(scratch, prop[i].name, prop[i].value, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK)
            error = apr_psprintf(p, "librdkafka refuses %s=%s: %s", prop[i].name,
                                 ku_prop_is_secret(prop[i].name) ? "[redacted]"
                                                                 : prop[i].value, errstr);
    rd_kafka_conf_destroy(scratch);
    return error;
}
