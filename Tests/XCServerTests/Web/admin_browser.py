"""Drives xcserver's web page (/admin) in headless Chromium with Selenium, against a running
`xcserver serve`. Run by AdminBrowserTests with one JSON argument (see `main`). Each step asserts what
a person would see; the first failure ends the run with a message naming the step. Screenshots of
every page at 1280 and 360 px go to the artifacts directory."""

import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 60  # seconds; every wait polls and stops by itself
PAGES = ["dashboard", "accounts", "logins", "categories", "catalog"]


def step(name):
    print(f"[browser] {name}", flush=True)


def fail(message):
    raise AssertionError(message)


class Page:
    def __init__(self, cfg):
        self.cfg = cfg
        self.base = cfg["base"]
        options = Options()
        options.binary_location = cfg["chromium"]
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--no-first-run", "--disable-extensions"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=cfg["chromedriver"]), options=options)
        self.driver.set_script_timeout(WAIT)
        self.console = []

    def wait(self, what, condition, timeout=WAIT):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(lambda d: condition())
        except Exception as error:
            fail(f"timed out waiting for {what} at {self.driver.current_url}: {type(error).__name__}")

    def css(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def go(self, path, ready=None):
        self.driver.get(self.base + path)
        if ready:
            self.wait(f"{path} to render", lambda: self.js("return document.getElementById('main')?.dataset.ready") == ready)

    def collect_console(self):
        self.console += self.driver.get_log("browser")

    def shoot(self, name):
        directory = self.cfg["artifacts"]
        for width, mobile in [(1280, False), (360, True)]:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": width, "height": 900 if width > 400 else 780, "deviceScaleFactor": 1, "mobile": mobile})
            time.sleep(0.3)
            inner, scroll = self.js("return [window.innerWidth, document.documentElement.scrollWidth]")
            if width == 360 and (inner != 360 or scroll > inner):
                fail(f"{name} at 360 px: the page is {scroll} px wide in a {inner} px viewport (horizontal scrolling)")
            self.driver.save_screenshot(os.path.join(directory, f"{name}-{width}.png"))
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def http_call(cfg, path, method="GET", body=None, headers=None):
    request = urllib.request.Request(cfg["base"] + path, method=method, data=body.encode() if body else None, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def xc(cfg, params):
    query = urllib.parse.urlencode({"username": cfg["user"], "password": cfg["password"], **params})
    status, text = http_call(cfg, f"/player_api.php?{query}")
    if status != 200:
        fail(f"XC API {params}: HTTP {status}")
    return json.loads(text)


def run(cfg, page):
    d = page.driver

    step("pages are closed without a session")
    for name in PAGES:
        page.go("/admin" if name == "dashboard" else f"/admin/{name}")
        if not d.current_url.endswith("/admin/signin"):
            fail(f"{name} opened without a session: {d.current_url}")
        if "alpha" in d.page_source:
            fail(f"{name} showed account data without a session")
    status, _ = http_call(cfg, "/api/accounts")
    if status != 401:
        fail(f"/api/accounts without a session answered {status}")
    page.shoot("signin")

    step("sign in with the admin token")
    d.find_element(By.ID, "token").send_keys(cfg["token"])
    d.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    page.wait("the dashboard", lambda: d.current_url.rstrip("/").endswith("/admin") and page.css('[data-account="alpha"]'))
    cookies = {c["name"]: c for c in d.get_cookies()}
    session = cookies.get("xcserver_session") or fail(f"no session cookie: {list(cookies)}")
    if not session["httpOnly"] or session.get("sameSite") != "Strict" or session.get("path") != "/":
        fail(f"session cookie attributes: {session}")
    if "xcserver_session" in page.js("return document.cookie"):
        fail("page scripts can read the session cookie")
    if page.js("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") not in ("{}{}",):
        fail("the page keeps something in web storage")
    if cfg["token"] in d.current_url:
        fail("the token is in the URL")

    step("add an account and see its provider test before saving")
    page.go("/admin/accounts", "accounts")
    form = d.find_element(By.ID, "add-account")
    for name, value in [("name", "beta"), ("url", cfg["provider"]), ("username", "beta"), ("password", cfg["beta_password"])]:
        form.find_element(By.NAME, name).send_keys(value)
    maxc = form.find_element(By.NAME, "max_connections")
    maxc.clear()
    maxc.send_keys("2")
    form.find_element(By.NAME, "group").send_keys("household")
    d.find_element(By.ID, "test-account").click()
    page.wait("the provider test's answer", lambda: page.css("#test-result .test-status"))
    answer = d.find_element(By.CSS_SELECTOR, "#test-result .test").text
    if "Active" not in answer or "in use of 2" not in answer:
        fail(f"provider test answer shown: {answer!r}")
    status, text = http_call(cfg, "/api/accounts/beta", headers={"Authorization": f"Bearer {cfg['token']}"})
    if status != 404:
        fail(f"testing saved the account: {status} {text}")
    d.find_element(By.ID, "save-account").click()
    page.wait("the new account in the list", lambda: page.css('#account-list [data-account="beta"]'))
    card = page.css('#account-list [data-account="beta"]')[0].text
    if "group household" not in card:
        fail(f"the account's capacity group is not shown: {card!r}")
    status, text = http_call(cfg, "/api/accounts/beta", headers={"Authorization": f"Bearer {cfg['token']}"})
    if status != 200 or json.loads(text)["account"]["group"] != "household":
        fail(f"the form did not save the capacity group: {status} {text}")
    if cfg["beta_password"] in d.page_source:
        fail("a provider password is shown on the page")
    page.shoot("accounts")

    step("start a sync and see its progress without reloading")
    page.go("/admin", "dashboard")
    page.js("window.__notReloaded = true")
    page.wait("the first pushed job list", lambda: int(page.js("return document.getElementById('main').dataset.jobsUpdates || 0")) >= 1)
    updates_before = int(page.js("return document.getElementById('main').dataset.jobsUpdates"))
    d.find_element(By.ID, "sync-all").click()
    # Read in one script: each pushed job list re-renders #running, so an element found by one call may
    # be gone by the next (StaleElementReferenceException).
    job_id = page.wait("the running job", lambda: page.js(
        "const job = document.querySelector('#running .job[data-job]'); return job ? job.dataset.job : null"))
    phases = set()

    def job_done():
        for job in page.css(f'#running .job[data-job="{job_id}"]'):
            try:
                phases.add(job.get_attribute("data-phase"))
            except Exception:
                pass
        return page.css(f'#jobs-table tr[data-job="{job_id}"][data-phase="done"]')
    page.wait(f"job {job_id} to end as done", job_done)
    updates = int(page.js("return document.getElementById('main').dataset.jobsUpdates")) - updates_before
    if not page.js("return window.__notReloaded === true"):
        fail("the page reloaded during the sync")
    if updates < 3 or len(phases) < 2:
        fail(f"progress did not update live: {updates} pushed job lists, phases seen {sorted(phases)}")
    print(f"[browser] job {job_id}: {updates} pushed updates, phases seen {sorted(phases)}", flush=True)

    step("start a stream and see it on the dashboard, then gone after the grace period")
    connection = http.client.HTTPConnection("127.0.0.1", cfg["port"], timeout=30)
    connection.request("GET", f"/movie/{urllib.parse.quote(cfg['user'])}/{urllib.parse.quote(cfg['password'])}/{cfg['movie_id']}.{cfg['movie_ext']}")
    response = connection.getresponse()
    if response.status not in (200, 206):
        fail(f"the stream answered {response.status}")
    response.read(65536)
    status, text = http_call(cfg, f"/api/vod/movies/{cfg['movie_id']}", headers={"Authorization": f"Bearer {cfg['token']}"})
    cfg["movie_name"] = json.loads(text)["movie"]["name"]
    page.wait("the viewing on the dashboard", lambda: page.css("#viewings-table tr[data-slot]"))
    # Rows are re-rendered every second (ages tick on): read them fresh each time.
    row_text = lambda: page.js("return document.querySelector('#viewings-table tr[data-slot]')?.textContent || ''")
    page.wait("the viewing's title and login", lambda: cfg["movie_name"] in row_text() and cfg["user"] in row_text())
    page.shoot("dashboard")
    connection.close()
    page.wait("the viewing to end after the grace period", lambda: page.css("#no-viewings"))
    if not page.js("return window.__notReloaded === true"):
        fail("the page reloaded while watching the stream")

    step("catalog search with relations and the account that would serve")
    page.go("/admin/catalog")
    page.wait("the search form", lambda: page.css("#search"))
    d.find_element(By.CSS_SELECTOR, "#search input[name=q]").send_keys(cfg["search"])
    d.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    page.wait("search results", lambda: page.css("#results [data-title] button"))
    served = [card for card in page.css("#results section:first-child [data-title]") if "not served" not in card.text]
    if not served:
        fail("no served film in the results")
    served[0].find_element(By.TAG_NAME, "button").click()
    page.wait("the title's details", lambda: page.css("#results .serving"))
    if "would be served by" not in page.css("#results .serving")[0].text:
        fail(f"serving answer: {page.css('#results .serving')[0].text!r}")
    page.shoot("catalog")

    step("logins show what to type into TiviMate")
    page.go("/admin/logins", "logins")
    card = page.css(f'#login-list [data-login="{cfg["user"]}"]') or fail("no card for the login")
    text = card[0].text
    if cfg["base"] not in text or cfg["user"] not in text:
        fail(f"login card: {text!r}")
    page.shoot("logins")

    step("disable a category and see the XC API change")
    category = cfg["category_id"]
    before = len(xc(cfg, {"action": "get_vod_streams", "category_id": category}))
    if before == 0:
        fail(f"category {category} lists no titles before")
    page.go("/admin/categories", "categories")
    boxes = page.css(f'tr[data-category="{category}"] input[type=checkbox]')
    if not boxes:
        fail(f"no switches for category {category}")
    for box in boxes:
        box.click()
        page.wait("the switch to be saved", lambda: "hidden from" in d.find_element(By.ID, "status").text)
        page.js("document.getElementById('status').textContent = ''")
    after = len(xc(cfg, {"action": "get_vod_streams", "category_id": category}))
    if after != 0:
        fail(f"category {category} still lists {after} titles to XC clients (before: {before})")
    listed = [c["category_id"] for c in xc(cfg, {"action": "get_vod_categories"})]
    if str(category) in listed:
        fail(f"category {category} is still in get_vod_categories: {listed}")
    page.shoot("categories")

    step("no console errors")
    page.collect_console()
    errors = [entry for entry in page.console if entry["level"] == "SEVERE"]
    if errors:
        fail(f"console errors: {errors}")

    step("a CSRF attempt is refused")
    forged = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/api/users', {method: 'POST', headers: {'Content-Type': 'application/json'},
                             body: JSON.stringify({username: 'forged', password: 'x'})})
          .then((r) => done(r.status), (e) => done(String(e)));
    """)
    if forged != 403:
        fail(f"a call with the cookie and no CSRF token answered {forged}")
    cookie = f"xcserver_session={session['value']}"
    status, text = http_call(cfg, "/api/sync", "POST", "{}", {"Cookie": cookie, "Content-Type": "application/json"})
    if status != 403 or '"csrf"' not in text:
        fail(f"a forged POST /api/sync with the cookie answered {status} {text}")
    status, _ = http_call(cfg, "/api/users/forged", headers={"Authorization": f"Bearer {cfg['token']}"})
    if status != 404:
        fail("the forged call created a login")

    step("sign out")
    page.go("/admin", "dashboard")
    d.find_element(By.CSS_SELECTOR, "form.signout button").click()
    page.wait("the sign-in form", lambda: d.current_url.endswith("/admin/signin"))
    page.go("/admin/accounts")
    if not d.current_url.endswith("/admin/signin"):
        fail("a page opened after signing out")
    status, _ = http_call(cfg, "/api/accounts", headers={"Cookie": cookie})
    if status != 401:
        fail(f"the old session cookie still opens the API: {status}")


def main():
    cfg = json.loads(sys.argv[1])
    os.makedirs(cfg["artifacts"], exist_ok=True)
    page = Page(cfg)
    try:
        run(cfg, page)
    except AssertionError as error:
        print(f"FAILED: {error}", flush=True)
        page.driver.save_screenshot(os.path.join(cfg["artifacts"], "failure.png"))
        with open(os.path.join(cfg["artifacts"], "failure.html"), "w") as f:
            f.write(page.driver.page_source)
        sys.exit(1)
    finally:
        page.driver.quit()
    print("OK", flush=True)


if __name__ == "__main__":
    main()
