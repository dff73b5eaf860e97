"""The explorer page in a real browser: headless Chromium driven by Selenium.

Each page is loaded from a file, used (themes chosen by mouse and keyboard,
passages searched and filtered, every view drawn), and must log no console
error and make no network request: requests are read from Chrome's DevTools
log (``Network.requestWillBeSent``) and from the page's resource timing.
Without Chromium, chromedriver or Selenium these tests skip and say why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from coopthemes.explore import write_explorer
from coopthemes.report.synthetic import write_synthetic_results
from coopthemes.results import read_results
from conftest import SEEDS

#: Chromium flags that keep a headless browser from reaching any server of its own.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1000")
#: URL schemes that are not network requests.
LOCAL_SCHEMES = ("data:", "blob:", "about:")


def _executables() -> tuple[str | None, str | None]:
    """Chromium and chromedriver: from COOPTHEMES_CHROMIUM / COOPTHEMES_CHROMEDRIVER, else from PATH."""
    def find(variable: str, names: tuple[str, ...]) -> str | None:
        if os.environ.get(variable):
            return shutil.which(os.environ[variable])
        return next((p for p in map(shutil.which, names) if p), None)

    return (find("COOPTHEMES_CHROMIUM", ("chromium", "chromium-browser", "google-chrome")),
            find("COOPTHEMES_CHROMEDRIVER", ("chromedriver",)))


@pytest.fixture(scope="module")
def driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("browser tests need Selenium: pip install -e '.[test]'")
    chromium, chromedriver = _executables()
    if not chromium or not chromedriver:
        pytest.skip("browser tests need Chromium and chromedriver: apt-get install chromium chromium-driver "
                    "(or set COOPTHEMES_CHROMIUM and COOPTHEMES_CHROMEDRIVER)")
    profile = tempfile.mkdtemp(prefix="coopthemes-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Visit:
    """One page loaded in the browser, with every log line it produced."""

    def __init__(self, driver, path: Path):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.url = driver, path.resolve().as_uri()
        driver.get("about:blank")
        driver.get_log("performance"), driver.get_log("browser")  # drop what came before
        self.performance, self.console = [], []
        driver.get(self.url)
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))

    def _drain(self):
        self.performance += [json.loads(e["message"])["message"] for e in self.driver.get_log("performance")]
        self.console += self.driver.get_log("browser")

    def network_requests(self) -> list[str]:
        """URLs the page asked for, itself excepted (DevTools log and resource timing)."""
        self._drain()
        urls = [m["params"]["request"]["url"] for m in self.performance if m["method"] == "Network.requestWillBeSent"]
        urls += self.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        return sorted({u for u in urls if u != self.url and not u.startswith(LOCAL_SCHEMES)})

    def console_errors(self) -> list[str]:
        self._drain()
        return [e["message"] for e in self.console if e["level"] == "SEVERE"]

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def keys(self, *keys):
        from selenium.webdriver.common.action_chains import ActionChains

        chain = ActionChains(self.driver)
        for key in keys:
            chain.send_keys(key)
        chain.perform()


def offline_failures(visit: Visit) -> list[str]:
    """Console errors and network requests of a visit: a self-contained page has none."""
    return [f"console: {m}" for m in visit.console_errors()] + [f"request: {u}" for u in visit.network_requests()]


def _texts(visit: Visit, selector: str) -> list[str]:
    return visit.js("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)", selector)


def _listed_passages(visit: Visit) -> list[str]:
    return _texts(visit, "#passage-list > li > .meta .code")


def _theme_passages(results, label: str) -> set[str]:
    a = results.assignments
    return set(a.loc[a["theme"] == label, "passage_id"])


def _check_page(visit: Visit, results) -> None:
    """Every theme shown; choosing one (mouse, then keyboard) lists its passages; every view draws."""
    from selenium.webdriver.common.keys import Keys

    labels = set(results.themes["theme"]) | set(results.assignments["theme"])
    assert set(_texts(visit, "#themes-body .label")) == labels
    assert visit.js("return document.characterSet") == "UTF-8"

    rows = visit.driver.find_elements("css selector", "#themes-body tr")
    rows[-1].click()
    label = _texts(visit, "#themes-body tr[aria-selected='true'] .label")[0]
    listed = _listed_passages(visit)
    expected = _theme_passages(results, label)
    assert listed and set(listed) <= expected and len(listed) == min(50, len(expected))
    text = results.passages.set_index("passage_id").loc[listed[0], "text"]
    assert _texts(visit, "#passage-list > li > p")[0] == text  # diacritics intact, nothing dropped

    visit.js("document.activeElement.blur(); window.scrollTo(0, 0);")
    for _ in range(40):  # tab to the theme list
        if visit.js("return document.activeElement.matches('#themes-body tr')"):
            break
        visit.keys(Keys.TAB)
    assert visit.js("return document.activeElement.matches('#themes-body tr')"), "theme list not reachable by Tab"
    visit.keys(Keys.HOME, Keys.ARROW_DOWN, Keys.ENTER)
    chosen = _texts(visit, "#themes-body tr[aria-selected='true'] .label")
    assert chosen == [_texts(visit, "#themes-body tr:nth-child(2) .label")[0]]
    assert visit.js("return document.activeElement.matches('#themes-body tr:nth-child(2)')")
    assert _texts(visit, "#theme-title") == chosen
    listed = _listed_passages(visit)
    assert listed and set(listed) <= _theme_passages(results, chosen[0])

    for tab in ("prevalence", "map", "provenance", "passages"):
        visit.driver.find_element("id", f"tab-{tab}").click()
    visit.driver.find_element("id", "tab-prevalence").click()
    prevalence = results.tables.get("prevalence")
    if prevalence is not None and len(prevalence):  # one dot per group, hollow for small groups
        rows = prevalence[(prevalence["theme"] == chosen[0]) & (prevalence["unit"] == "document")]
        assert visit.js("return document.querySelectorAll('#prevalence svg circle').length") == len(rows)
        hollow = visit.js("return document.querySelectorAll('#prevalence svg circle[fill=\"#fff\"]').length")
        assert hollow == int(rows["small_group"].sum())
        assert visit.js("return document.querySelectorAll('#prevalence svg line').length") > len(rows)
    visit.driver.find_element("id", "tab-map").click()
    if len(results.tables.get("theme_map", [])):
        assert visit.js("return document.querySelectorAll('#map svg circle').length") == len(results.theme_map)
    visit.driver.find_element("id", "tab-provenance").click()
    assert results.info["corpus_hash"] in visit.js("return document.getElementById('provenance').textContent")
    visit.driver.find_element("id", "tab-passages").click()


@pytest.fixture(scope="module")
def synthetic_page(tmp_path_factory):
    """A synthetic run whose passages hold markup and Vietnamese, with its page."""
    base = tmp_path_factory.mktemp("explore")
    results_dir = write_synthetic_results(base / "results", seed=2, n_documents=40)
    path = results_dir / "passages.parquet"
    passages = pd.read_parquet(path)
    hostile = "</script><img src=x onerror=\"document.title='owned'\"> <b>bold</b> Bộ Công an & tội phạm "
    passages["text"] = [hostile + t if i % 5 == 0 else t for i, t in enumerate(passages["text"])]
    passages.to_parquet(path, index=False)
    themes = pd.read_parquet(results_dir / "themes.parquet")  # theme 4 is unstable
    themes.assign(label_confidence=[0.91, 0.42, None, 0.77, 0.15]).to_parquet(results_dir / "themes.parquet",
                                                                              index=False)
    names = dict(zip(themes["theme_id"], themes["theme"], strict=True))
    assignments = pd.read_parquet(results_dir / "assignments.parquet")
    assignments["also_discusses"] = [[names[(t + 1) % len(names)]] if t >= 0 and i % 4 == 0 else []
                                     for i, t in enumerate(assignments["theme_id"])]
    assignments["evidence"] = pd.array([f"{names[t]}: <i>công an</i>" if t >= 0 and i % 4 == 0 else ""
                                        for i, t in enumerate(assignments["theme_id"])], dtype="string")
    assignments.to_parquet(results_dir / "assignments.parquet", index=False)
    prevalence = pd.read_parquet(results_dir / "prevalence.parquet")
    prevalence.assign(share_min=prevalence["share"] * 0.8, share_max=(prevalence["share"] * 1.1).clip(upper=1)) \
        .to_parquet(results_dir / "prevalence.parquet", index=False)
    run = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    run["edits"] = [{"action": "rename", "theme_id": 4, "from": "D4: ma tuý, heroin", "to": "Drugs <b>x</b>"}]
    (results_dir / "run.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    return write_explorer(results_dir, base / "explorer.html"), read_results(results_dir)


def test_synthetic_page_works_offline_without_errors(driver, synthetic_page):
    page, results = synthetic_page
    visit = Visit(driver, page)
    _check_page(visit, results)
    assert visit.js("return document.querySelectorAll('img, #passage-list p *:not(mark)').length") == 0
    shown = _texts(visit, "#passage-list > li > p")
    assert any(t.startswith("</script><img src=x") for t in shown)  # markup in the data stayed text
    assert "Drugs <b>x</b>" in visit.js("return document.getElementById('provenance').textContent")
    assert visit.js("return document.getElementById('edits-note').hidden") is False
    assert offline_failures(visit) == []


def test_theme_table_sorts_and_shows_optional_columns(driver, synthetic_page):
    page, results = synthetic_page
    visit = Visit(driver, page)
    heads = _texts(visit, "#themes-head th")
    assert heads[:5] == ["#", "Theme", "label confidence", "stability", "Passages"]

    def column(i):
        return [c.replace(",", "") for c in _texts(visit, f"#themes-body td:nth-child({i})")]

    sizes = [int(v) for v in column(5)]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    visit.driver.find_element("css selector", "#themes-head th:nth-child(5) button").click()
    assert [int(v) for v in column(5)] == sorted(sizes)
    assert visit.js("return document.querySelector('#themes-head th:nth-child(5)').getAttribute('aria-sort')") \
        == "ascending"
    visit.driver.find_element("css selector", "#themes-head th:nth-child(3) button").click()
    confidence = [float(v) for v in column(3) if v != "–"]
    assert confidence == sorted(confidence, reverse=True) and column(3)[-1] == "–"  # missing last
    unstable = set(results.themes.loc[results.themes["unstable"], "theme"])
    flagged = visit.js("return Array.from(document.querySelectorAll('#themes-body tr'))"
                       ".filter(r => r.querySelector('.badge.unstable'))"
                       ".map(r => r.querySelector('.label').textContent)")
    assert unstable and set(flagged) == unstable
    assert visit.js("return document.title") != "owned"
    assert offline_failures(visit) == []


def test_codebook_evidence_and_range_over_fits_are_shown(driver, synthetic_page):
    page, results = synthetic_page
    visit = Visit(driver, page)
    evidence = _texts(visit, "#passage-list .evidence")
    assert evidence and all(e.startswith("codebook evidence: ") and "<i>công an</i>" in e for e in evidence)
    also = _texts(visit, "#passage-list .badge.discusses")
    assert also and all(a.startswith("also: ") for a in also)
    assert visit.js("return document.querySelectorAll('#passage-list i').length") == 0  # evidence stayed text
    visit.driver.find_element("id", "tab-prevalence").click()
    heads = _texts(visit, "#prevalence table th")
    assert "Range over fits" in heads
    cells = _texts(visit, "#prevalence table td:nth-child(4)")
    assert cells and all(re.fullmatch(r"\d+\.\d% – \d+\.\d%|–", c) for c in cells)
    assert "over the consensus fits" in visit.js("return document.querySelector('#prevalence svg g title').textContent")
    assert offline_failures(visit) == []


def test_search_and_filters(driver, synthetic_page):
    page, results = synthetic_page
    visit = Visit(driver, page)
    visit.js("document.getElementById('f-scope').value = 'all';"
             "document.getElementById('f-scope').dispatchEvent(new Event('change'));")
    box = visit.driver.find_element("id", "f-query")
    box.send_keys("cong an")  # without diacritics: finds "Công an"
    visit.js("document.getElementById('filters').requestSubmit()")
    marks = _texts(visit, "#passage-list mark")
    assert marks and set(marks) == {"Công an"}
    status = visit.js("return document.getElementById('passage-status').textContent")
    kept = results.passages.merge(results.assignments, on="passage_id")
    n_hits = int(kept["text"].str.contains("Công an").sum())
    assert status.startswith(f"{n_hits} passages match")
    box.clear()
    box.send_keys("tội phạm")
    visit.js("document.getElementById('filters').requestSubmit()")
    assert set(_texts(visit, "#passage-list mark")) == {"tội phạm"}

    visit.driver.find_element("id", "f-reset").click()
    options = visit.js("return Array.from(document.getElementById('f-partner').options).map(o => o.textContent)")
    assert options[0] == "all" and "Japan" in options
    visit.js("const s = document.getElementById('f-partner');"
             "s.value = Array.from(s.options).find(o => o.textContent === 'Japan').value;"
             "s.dispatchEvent(new Event('change'));")
    listed = set(_listed_passages(visit))
    japan = set(kept.loc[kept["partners"].map(lambda ps: "Japan" in list(ps)), "passage_id"])
    assert listed and listed <= japan
    assert offline_failures(visit) == []


_IMG = '<img src="https://example.com/pixel.png" alt="">'
_FETCH = "<script>fetch('https://example.com/data.json').catch(() => {});</script>"


@pytest.mark.parametrize(("leak", "keep_csp", "seen_as_request"), [
    (_IMG, True, True),       # the browser asks, the page's policy blocks: still a request
    (_FETCH, False, True),    # no policy: the request goes out
    (_FETCH, True, False),    # blocked before it is sent: the policy violation is a console error
])
def test_a_page_that_requests_anything_from_the_network_fails_the_check(driver, synthetic_page, tmp_path, leak,
                                                                        keep_csp, seen_as_request):
    page, _ = synthetic_page
    text = page.read_text(encoding="utf-8")
    if not keep_csp:
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    variant = tmp_path / "leaky.html"
    variant.write_text(text.replace("<main ", leak + "<main ", 1), encoding="utf-8")
    visit = Visit(driver, variant)
    requests = visit.network_requests()
    assert offline_failures(visit), "a page reaching for example.com passed the check"
    if seen_as_request:
        assert "https://example.com/" in " ".join(requests), "the network check missed the request"


@pytest.mark.integration
def test_seeds_page_in_the_browser(driver, tmp_path_factory):
    from coopthemes.config import load_config
    from coopthemes.pipeline import run
    from coopthemes.report import build_report

    base = tmp_path_factory.mktemp("seeds")
    cache = tmp_path_factory.getbasetemp() / "explore-cache" / "embeddings"  # shared with test_explore.py
    config = load_config(data={"corpus": {"path": str(SEEDS)}, "prevalence": {"n_boot": 200},
                               "embeddings": {"cache_dir": str(cache)}})
    run(config, results_dir=base / "results")
    build_report(base / "results", base, formats=("png",), command="coopthemes run")
    page = write_explorer(base / "results", base / "explorer.html")
    results = read_results(base / "results")
    visit = Visit(driver, page)
    _check_page(visit, results)
    assert visit.js("return document.getElementById('provenance').textContent").count("not installed") <= 2
    vietnamese = set(results.terms.loc[results.terms["language"] == "vi", "term"])
    shown = set(_texts(visit, "#theme-terms ol[lang='vi'] li"))
    assert shown and shown <= vietnamese
    assert offline_failures(visit) == []
