/* SPDX-License-Identifier: Apache-2.0 */
/* status_page.h: the status page's HTML view (status_html.c), drawn from
 * the JSON view's object (status_page.c). Private to those two files. */
#ifndef KU_STATUS_PAGE_H
#define KU_STATUS_PAGE_H

#include "httpd.h"
#include "apr_buckets.h"
#include <json-c/json.h>

/* Sets the content type and the Content-Security-Policy, and writes the
 * page: page's numbers as tables, and the code that polls the JSON view
 * and draws the charts. */
void ku_status_html(request_rec *r, apr_bucket_brigade *bb, json_object *page);

#endif
