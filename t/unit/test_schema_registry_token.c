/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for schema_registry_token.c: the token endpoint's answer
 * (RFC 6749 5.1) and when a token is renewed. */
#include <string.h>

#include "apr_general.h"
#include "schema_registry_token.h"
#include "check.h"

static int parses(apr_pool_t *p, const char *answer, const char **token, long *life)
{
    const char *error = NULL;

    *token = NULL;
    *life = 0;
    return ku_sr_token_parse(p, answer, token, life, &error) && !error;
}

static void test_answers(apr_pool_t *p)
{
    const char *token;
    long life;

    CHECK("a JWT with expires_in",
          parses(p, "{\"access_token\":\"eyJ.eyJ-_.sig\",\"expires_in\":300,"
                    "\"token_type\":\"Bearer\"}", &token, &life)
          && !strcmp(token, "eyJ.eyJ-_.sig") && life == 300);
    CHECK("token_type in any case", parses(p, "{\"access_token\":\"abc=\",\"token_type\":"
                                              "\"bearer\",\"expires_in\":5}", &token, &life));
    CHECK("no expires_in: 60 s", parses(p, "{\"access_token\":\"abc\"}", &token, &life)
                                 && life == 60);
    CHECK("no access_token: refused", !parses(p, "{\"expires_in\":300}", &token, &life));
    CHECK("an access_token that is no string: refused",
          !parses(p, "{\"access_token\":42}", &token, &life));
    CHECK("an empty access_token: refused", !parses(p, "{\"access_token\":\"\"}", &token, &life));
    CHECK("a token with a space (header injection): refused",
          !parses(p, "{\"access_token\":\"abc def\"}", &token, &life));
    CHECK("a token with CR LF: refused",
          !parses(p, "{\"access_token\":\"abc\\r\\nX-Evil: 1\"}", &token, &life));
    CHECK("'=' only at the end", !parses(p, "{\"access_token\":\"a=b\"}", &token, &life));
    CHECK("token_type mac: refused",
          !parses(p, "{\"access_token\":\"abc\",\"token_type\":\"mac\"}", &token, &life));
    CHECK("expires_in 0: refused",
          !parses(p, "{\"access_token\":\"abc\",\"expires_in\":0}", &token, &life));
    CHECK("expires_in as text: refused",
          !parses(p, "{\"access_token\":\"abc\",\"expires_in\":\"300\"}", &token, &life));
    CHECK("not JSON: refused", !parses(p, "<html>", &token, &life));
    CHECK("a JSON array: refused", !parses(p, "[1]", &token, &life));
}

static void test_renewal(void)
{
    CHECK("300 s: renewed 30 s early", ku_sr_token_renew_at(1000, 300) == 1270);
    CHECK("3600 s: at most 30 s early", ku_sr_token_renew_at(1000, 3600) == 4570);
    CHECK("20 s: 2 s early", ku_sr_token_renew_at(1000, 20) == 1018);
    CHECK("5 s: 1 s early", ku_sr_token_renew_at(1000, 5) == 1004);
    CHECK("1 s: not kept", ku_sr_token_renew_at(1000, 1) == 1000);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_answers(p);
    test_renewal();
    printf("%d passed, %d failed\n", passed, failed);
    apr_terminate();
    return failed != 0;
}
