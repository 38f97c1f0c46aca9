#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# status-browser.py: looks at the HTML status page in headless Chromium
# (Debian's chromium and chromium-driver, through python3-selenium), for
# t/51_status_html.t. Prints one JSON object of findings; the test judges.
#
#   status-browser.py --base http://127.0.0.1:PORT --path /ku-status
#                     --stop-file F --shots DIR [--no-js]
#
# With JavaScript (default): loads the page as a browser would (no
# ?format: the Accept header chooses HTML) while the caller's load runs,
# records console messages and CSP violations (a listener installed
# before the page's own code), reads the request-rate chart's points
# twice, 3 s apart, saves a screenshot, then creates the stop file, waits
# until the JSON view's counters no longer change and compares every
# number cell (data-path) with the JSON view fetched just before and after. At the end it inserts an inline script
# without the nonce, which the CSP must block and report: the violation
# listener is shown to work. --no-js: the same page with JavaScript
# disabled; the cells must still hold the JSON view's numbers.
import argparse
import json
import os
import shutil
import tempfile
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHARTS = ('requests', 'delivered', 'rejected', 'latency', 'queue', 'spool')


def fetch_json(base, path):
    req = urllib.request.Request(base + path + '?format=json', headers={'Accept': 'application/json'})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def resolve(o, path):
    for seg in path:
        if o is None:
            return None
        if isinstance(seg, dict):
            o = next((e for e in o if e.get('name') == seg['name']), None)
        elif isinstance(o, list):
            o = o[seg] if seg < len(o) else None
        else:
            o = o.get(seg)
    return o


def shown(v):
    if v is None:
        return '-'
    if isinstance(v, float) and not v.is_integer():
        return '%.3f' % v
    if isinstance(v, float):
        return str(int(v))
    return str(v)


def cells(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('[data-path]'))"
        ".map(function (c) { return [c.getAttribute('data-path'), c.textContent]; });")


# The cells that differ from the JSON view, fetched before and after they
# were read: a broker connection that is not up changes state every few
# seconds (the producers of unreachable clusters), so a cell may show
# either. pid: whichever child answered.
def mismatches(pairs, before, after):
    bad = []
    for path, text in pairs:
        p = json.loads(path)
        if p == ['pid']:
            continue
        want = {shown(resolve(before, p)), shown(resolve(after, p))}
        if text not in want:
            bad.append('%s: shown %s, JSON %s' % (path, text, ' or '.join(sorted(want))))
    return bad


# The counters, not the broker states nor the answering pid.
def counters(page):
    return json.dumps([page.get('spool'), page.get('misconfigured_requests'),
                       [{k: v for k, v in p.items() if k != 'brokers'} for p in page['producers']]],
                      sort_keys=True)


# Waits until two JSON views 1 s apart count the same (the load has drained).
def settled(base, path, timeout=30):
    last = None
    end = time.time() + timeout
    while time.time() < end:
        page = fetch_json(base, path)
        if last is not None and counters(page) == counters(last):
            return page
        last = page
        time.sleep(1)
    return last


# Compares the cells with the JSON view, up to five times.
def compare(driver, base, path, reload):
    for _ in range(5):
        before = fetch_json(base, path)
        if reload:
            driver.refresh()
        else:
            time.sleep(1.5)   # the page polls every second
        pairs = cells(driver)
        bad = mismatches(pairs, before, fetch_json(base, path))
        if not bad:
            break
    return bad, before


def chart_points(driver):
    return driver.execute_script(
        "var out = {}; %s.forEach(function (n) {"
        " var s = document.getElementById('chart-' + n);"
        " out[n] = s ? Array.from(s.querySelectorAll('polyline'))"
        "   .map(function (p) { return p.getAttribute('points') || ''; }) : null; });"
        " return out;" % json.dumps(list(CHARTS)))


def browser(js, log_dir, profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--window-size=1280,1400', '--no-first-run', '--disable-extensions',
              '--user-data-dir=' + profile):
        opts.add_argument(a)
    if not js:
        opts.add_experimental_option('prefs', {'profile.managed_default_content_settings.javascript': 2})
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    service = Service('/usr/bin/chromedriver', log_path=os.path.join(log_dir, 'chromedriver.log'))
    return webdriver.Chrome(service=service, options=opts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--base', required=True)
    ap.add_argument('--path', required=True)
    ap.add_argument('--stop-file')
    ap.add_argument('--shots', required=True)
    ap.add_argument('--no-js', action='store_true')
    a = ap.parse_args()
    out = {}
    profile = tempfile.mkdtemp(prefix='ku-chromium-')
    driver = browser(not a.no_js, a.shots, profile)
    try:
        driver.set_page_load_timeout(20)
        # Before the page's code: CSP violations into a list the test reads.
        driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': (
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation', function (e) {"
            " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });")})
        driver.get(a.base + a.path)
        out['title'] = driver.title
        out['tables'] = driver.execute_script("return document.querySelectorAll('table').length;")
        out['cells'] = len(cells(driver))
        if a.no_js:
            settled(a.base, a.path)
            out['mismatches'], _ = compare(driver, a.base, a.path, True)
            out['charts'] = chart_points(driver)
            out['polled'] = driver.execute_script(
                "return document.getElementById('polled').textContent;")
            driver.save_screenshot(os.path.join(a.shots, 'status-html-nojs.png'))
        else:
            time.sleep(6)
            first = chart_points(driver)
            time.sleep(3)
            second = chart_points(driver)
            out['charts_first'], out['charts_second'] = first, second
            driver.save_screenshot(os.path.join(a.shots, 'status-html.png'))
            open(a.stop_file, 'w').close()
            settled(a.base, a.path)
            out['mismatches'], out['json'] = compare(driver, a.base, a.path, False)
            out['csp_before'] = driver.execute_script('return window.__csp;')
            out['console'] = [e for e in driver.get_log('browser')]
            # An inline script without the nonce: blocked and reported.
            driver.execute_script(
                "var s = document.createElement('script'); s.textContent = 'window.__evil = 1;';"
                " document.body.appendChild(s);")
            time.sleep(0.5)
            out['evil_ran'] = driver.execute_script('return window.__evil === 1;')
            out['csp_after'] = driver.execute_script('return window.__csp;')
        out['ok'] = True
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(out))


if __name__ == '__main__':
    sys.exit(main())
