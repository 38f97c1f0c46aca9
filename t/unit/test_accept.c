/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for accept.c: which Accept headers make the status page
 * answer HTML by default (README "Status page"). */
#include "accept.h"
#include "check.h"

int main(void)
{
    CHECK("no header: JSON", !ku_accept_prefers_html(NULL));
    CHECK("empty header: JSON", !ku_accept_prefers_html(""));
    CHECK("curl's */*: JSON", !ku_accept_prefers_html("*/*"));
    CHECK("Chromium's: HTML", ku_accept_prefers_html(
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"));
    CHECK("Firefox's: HTML", ku_accept_prefers_html(
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
    CHECK("application/json: JSON", !ku_accept_prefers_html("application/json"));
    CHECK("JSON first by quality", !ku_accept_prefers_html(
        "text/html;q=0.5, application/json"));
    CHECK("equal qualities: JSON", !ku_accept_prefers_html("text/html, application/json"));
    CHECK("text/* beats a lower */*", ku_accept_prefers_html("text/*, */*;q=0.1"));
    CHECK("q=0 refuses html", !ku_accept_prefers_html("text/html;q=0, */*;q=0.1"));
    CHECK("spaces and case", ku_accept_prefers_html(" TEXT/HTML ; Q=1.0 , */* ; q=0.2"));
    CHECK("bad q is 0", !ku_accept_prefers_html("text/html;q=abc, */*;q=0.1"));
    CHECK("q above 1 is 0", !ku_accept_prefers_html("text/html;q=2, */*;q=0.1"));
    CHECK("other parameters are skipped", ku_accept_prefers_html(
        "text/html;level=1;q=0.9, application/json;q=0.8"));
    CHECK("most specific range counts", !ku_accept_prefers_html(
        "text/html;q=0.1, text/*;q=1, application/json;q=0.5"));
    CHECK("text/htmlx is not text/html", !ku_accept_prefers_html("text/htmlx"));
    CHECK("no slash matches nothing", !ku_accept_prefers_html("html, json"));
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
