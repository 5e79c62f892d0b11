#!/usr/bin/env python3
"""Headless browser test of the denser web page (src/serve/assets/index.html).

Drives chromium through chromedriver's W3C WebDriver HTTP API (stdlib only, no selenium):
opens BASE_URL, types a query, clicks Search, waits for hits and a timing line, then opens the
Training tab and checks that it rendered (plots or the "unavailable" message) without script errors.

usage: browser_test.py BASE_URL [--query Q] [--expect-mode MODE] [--screenshots PREFIX] [--timeout S]

Exit status: 0 passed, 1 failed, 77 skipped (no chromium or chromedriver).
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"


class Failure(Exception):
    pass


def start_chromedriver(timeout):
    """Starts chromedriver on a port the kernel chooses (--port=0) and returns the process
    and the port it reports, so no guessed port can collide with another test."""
    driver = subprocess.Popen([CHROMEDRIVER, "--port=0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, start_new_session=True, text=True)
    found = re.compile(r"started successfully on port (\d+)")
    deadline = time.time() + timeout
    seen = []
    # readline blocks, but chromedriver prints its banner at once or exits.
    while time.time() < deadline:
        line = driver.stdout.readline()
        if not line:
            break
        seen.append(line.strip())
        m = found.search(line)
        if m:
            # Drain the rest of its output so that it never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in driver.stdout], daemon=True).start()
            return driver, int(m.group(1))
    driver.kill()
    driver.wait()
    raise Failure(f"chromedriver did not report its port; it printed: {seen[-5:]}")


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = json.loads(resp.read().decode() or "{}")
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                value = json.loads(text).get("value", {})
                text = f"{value.get('error')}: {value.get('message', '')}".strip()
            except (ValueError, AttributeError):
                pass
            raise Failure(f"webdriver {method} {path} -> HTTP {e.code}: {text[:500]}") from None
        return payload.get("value")

    def s(self, method, path, body=None, timeout=60):
        return self.call(method, f"/session/{self.session}{path}", body, timeout)

    def wait_ready(self, deadline):
        while time.time() < deadline:
            try:
                value = self.call("GET", "/status", timeout=2)
                if value and value.get("ready", True):
                    return
            except (Failure, OSError):
                pass
            time.sleep(0.2)
        raise Failure("chromedriver did not become ready")

    def start(self, args):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        value = self.call("POST", "/session", caps, timeout=90)
        self.session = value["sessionId"]

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=20)
            except (Failure, OSError):
                pass
            self.session = None

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        """The element's WebDriver id, or None when absent."""
        found = self.s("POST", "/elements", {"using": "css selector", "value": css})
        return found[0][ELEMENT_KEY] if found else None

    def screenshot(self, path):
        png = base64.b64decode(self.s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        print(f"screenshot: {path}")


def poll(what, fn, timeout, interval=0.2):
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise Failure(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def page_errors(wd):
    return wd.js("return (window.denserErrors || []).slice();") or []


def run(wd, args):
    wd.s("POST", "/url", {"url": args.base_url}, timeout=args.timeout)
    poll("the page to load", lambda: wd.js("return document.readyState === 'complete';"), args.timeout)
    if not wd.find("#query"):
        raise Failure(f"no #query input on {args.base_url} (title: {wd.js('return document.title;')!r})")
    title = wd.js("return document.title;")
    print(f"page title: {title!r}")
    # The page records the outcome of GET /health on <body data-health>; modes depend on it.
    try:
        health = poll("GET /health", lambda: wd.js("return document.body.dataset.health || '';"), 10)
    except Failure:
        health = "(not reported)"
    header = wd.js("const h = document.getElementById('health'); return h ? h.textContent : '';")
    print(f"health: {health}; header: {header!r}")
    if health == "error":
        raise Failure("the page's health check failed: "
                      + wd.js("return document.getElementById('error').textContent;"))

    if args.expect_mode:
        state = wd.js("""
            const sel = document.getElementById('mode');
            const opt = Array.from(sel.options).find(o => o.value === arguments[0]);
            if (!opt) return 'missing';
            if (opt.disabled) return 'disabled';
            sel.value = arguments[0];
            sel.dispatchEvent(new Event('change', {bubbles: true}));
            return sel.value;""", args.expect_mode)
        if state != args.expect_mode:
            raise Failure(f"cannot select mode {args.expect_mode!r}: option {state}")
        print(f"mode: {state}")

    query = wd.find("#query")
    wd.s("POST", f"/element/{query}/clear", {})
    wd.s("POST", f"/element/{query}/value", {"text": args.query})
    button = wd.find("#search-button")
    if not button:
        raise Failure("no #search-button")
    wd.s("POST", f"/element/{button}/click", {})

    def hits_or_error():
        n = wd.js("return document.querySelectorAll('#results .hit').length;")
        if n:
            return n
        err = wd.js("const e = document.getElementById('error'); return e ? e.textContent : '';")
        if err:
            raise Failure(f"the page shows an error: {err}")
        return 0

    n = poll("a .hit in #results", hits_or_error, 20)
    first = wd.js("return document.querySelector('#results .hit').innerText;")
    print(f"hits: {n}")
    print("first hit: " + " | ".join(line.strip() for line in first.splitlines() if line.strip()))
    timing = poll("#timing", lambda: wd.js("return document.getElementById('timing').textContent.trim();"), 5)
    print(f"timing: {timing}")
    if args.screenshots:
        wd.screenshot(f"{args.screenshots}search.png")

    tab = wd.find("#tab-training")
    if tab:
        wd.s("POST", f"/element/{tab}/click", {})
        state = poll("the training section to load", lambda: wd.js(
            "const s = document.getElementById('training-section');"
            "return s && !['idle', 'loading'].includes(s.dataset.state) ? s.dataset.state : '';"), 10)
        summary = wd.js("return document.getElementById('training-summary').textContent.trim();")
        print(f"training: {state}: {summary}")
        if state == "error":
            raise Failure("the training section failed to load")
        if state == "loaded":
            for plot in ("loss-plot", "dev-plot"):
                shapes = wd.js("const p = document.getElementById(arguments[0]);"
                               "return p ? p.querySelectorAll('path, circle').length : -1;", plot)
                if shapes < 0:
                    raise Failure(f"no #{plot} after loading the training log")
                print(f"#{plot}: {shapes} paths/dots")
        if args.screenshots:
            wd.js("window.scrollTo(0, 0);")
            wd.screenshot(f"{args.screenshots}training.png")
            if state == "loaded":
                wd.js("document.getElementById('dev-plot').scrollIntoView();")
                wd.screenshot(f"{args.screenshots}training-dev.png")
    else:
        print("no training tab")

    errors = page_errors(wd)
    if errors:
        raise Failure("script errors on the page: " + "; ".join(map(str, errors)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the server's page, e.g. http://127.0.0.1:8080/")
    parser.add_argument("--query", default="game")
    parser.add_argument("--expect-mode", choices=["dense", "bm25", "hybrid"],
                        help="select this mode before searching (fails when the page disables it)")
    parser.add_argument("--screenshots", metavar="PREFIX",
                        help="save PNG screenshots to PREFIXsearch.png and PREFIXtraining.png")
    parser.add_argument("--timeout", type=float, default=30, help="seconds for page loads")
    args = parser.parse_args()

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            print(f"SKIP: {path} is missing (apt-get install chromium chromium-driver)")
            return 77

    try:
        driver, port = start_chromedriver(20)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    wd = WebDriver(port)
    try:
        wd.wait_ready(time.time() + 20)
        chrome_args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1000"]
        try:
            wd.start(["--headless=new"] + chrome_args)
        except Failure as e:
            print(f"--headless=new failed ({e}); trying --headless")
            wd.start(["--headless"] + chrome_args)
        run(wd, args)
        print("PASS")
        return 0
    except (Failure, OSError, KeyError, TypeError, ValueError) as e:
        print(f"FAIL: {e}")
        if wd.session:
            try:
                print(f"page errors: {page_errors(wd)}")
                print("error element: " + repr(wd.js(
                    "const e = document.getElementById('error'); return e ? e.textContent : null;")))
            except (Failure, OSError):
                pass
        return 1
    finally:
        wd.quit()
        driver.terminate()
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()


if __name__ == "__main__":
    sys.exit(main())
