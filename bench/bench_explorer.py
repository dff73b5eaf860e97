"""The explorer page of a results folder: its size, how fast it loads and reacts, screenshots.

::

    python bench/bench_explorer.py RESULTS_DIR [--page FILE] [--screenshots DIR] [--loads 3]
                                   [--query "công an"]

Writes the page (``coopthemes.explore.write_explorer``), then opens it
``--loads`` times in headless Chromium (a fresh profile each time) and reports,
as JSON: the page's bytes and how they divide (passage text, other data,
script and style), the seconds to write it, and per load the milliseconds from
navigation to the page being ready (its script has drawn the theme list and
the first theme's passages; ``performance.now()`` at that moment), plus
the time the browser took for ``driver.get``. Then, in the last load: choosing
the largest theme, a search over all themes, and drawing the prevalence and map
views, each timed in the page. With ``--screenshots DIR`` it saves
``passages.png``, ``search.png``, ``prevalence.png``, ``map.png`` and
``provenance.png`` (1400 x 1000 pixels). Needs Chromium, chromedriver and
Selenium, as the browser tests do.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        sys.exit("needs Chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='bench-explorer-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def _wait_ready(driver, timeout: float = 120.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))


def _timed(driver, script: str) -> float:
    """Milliseconds the page spends on ``script`` (run synchronously, then one frame)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; const t0 = performance.now();"
        + script + "; requestAnimationFrame(() => done(performance.now() - t0));")


def _composition(page: Path) -> dict:
    import re

    text = page.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', text, flags=re.S)
    parsed = json.loads(data.group(1))
    passage_text = sum(len(t.encode("utf-8")) for t in parsed["passages"]["text"])
    data_bytes = len(data.group(1).encode("utf-8"))
    return {"bytes": page.stat().st_size, "passage_text_bytes": passage_text,
            "other_data_bytes": data_bytes - passage_text, "page_code_bytes": page.stat().st_size - data_bytes,
            "passages": len(parsed["passages"]["id"]), "themes": len(parsed["themes"]),
            "map_points": len(parsed["map"]["x"]),
            "prevalence_rows": sum(len(b["rows"]) for b in parsed["prevalence"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir")
    parser.add_argument("--page", help="page to write (default: a temporary file)")
    parser.add_argument("--screenshots", help="folder for screenshots")
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--query", default="công an", help="word searched over all themes")
    args = parser.parse_args(argv)

    from coopthemes.explore import write_explorer

    page = Path(args.page) if args.page else Path(tempfile.mkdtemp()) / "explorer.html"
    t0 = time.perf_counter()
    write_explorer(args.results_dir, page)
    report = {"write_seconds": round(time.perf_counter() - t0, 2), **_composition(page), "loads": []}

    for i in range(args.loads):
        driver = _browser()
        try:
            start = time.perf_counter()
            driver.get(page.resolve().as_uri())
            _wait_ready(driver)
            wall = time.perf_counter() - start
            ready = int(driver.execute_script("return document.documentElement.dataset.readyMs"))
            report["loads"].append({"ready_ms": ready, "driver_get_and_wait_s": round(wall, 2)})
            errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            report["console_errors"] = errors
            if i < args.loads - 1:
                continue
            shots = Path(args.screenshots) if args.screenshots else None
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(shots / "passages.png"))
            report["choose_largest_theme_ms"] = round(_timed(
                driver, "document.querySelector('#themes-body tr').click()"), 1)
            report["search_all_themes_ms"] = round(_timed(driver, (
                "document.getElementById('f-scope').value = 'all';"
                f"document.getElementById('f-query').value = {json.dumps(args.query)};"
                "document.getElementById('filters').requestSubmit()")), 1)
            report["search_status"] = driver.execute_script(
                "return document.getElementById('passage-status').textContent")
            if shots:
                driver.save_screenshot(str(shots / "search.png"))
            driver.execute_script("document.getElementById('f-reset').click()")
            for tab in ("prevalence", "map", "provenance"):
                report[f"{tab}_view_ms"] = round(_timed(
                    driver, f"document.getElementById('tab-{tab}').click()"), 1)
                driver.execute_script("document.getElementById('tabs').scrollIntoView()")
                if shots:
                    driver.save_screenshot(str(shots / f"{tab}.png"))
            report["console_errors"] = errors + [e["message"] for e in driver.get_log("browser")
                                                 if e["level"] == "SEVERE"]
        finally:
            driver.quit()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
