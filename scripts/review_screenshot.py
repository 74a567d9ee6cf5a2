"""Screenshot of the review page for the README (headless Debian Chromium via Playwright).

    .venv/bin/python scripts/review_screenshot.py SCAN_OUT docs/images/review-page.png

Serves SCAN_OUT as reader ``screenshot`` (its decisions go to SCAN_OUT/review/screenshot/),
confirms the first patient's best cluster with the keyboard and takes a 1400 x 900 picture.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from calcdetect.review.decisions import DecisionStore
from calcdetect.review.server import make_server
from calcdetect.review.study import load_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--keys", default="c", help="keys to press before the picture (default: c = confirm)")
    args = parser.parse_args()
    study = load_study(args.out)
    srv = make_server(study, DecisionStore(study, "screenshot"), port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, viewport={"width": 1400, "height": 900},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        page = context.new_page()
        page.goto(srv.url)
        page.wait_for_selector("body[data-ready='1']", state="attached")
        for key in args.keys:
            page.keyboard.press(key)
        if args.keys:
            page.wait_for_selector(f"body[data-saves='{len(args.keys)}']", state="attached")
        page.locator("#frame-0 img").evaluate("e => e.decode()")
        page.mouse.move(5, 880)
        args.png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.png))
        context.close()
    srv.shutdown()
    srv.server_close()
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
