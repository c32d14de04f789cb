"""Lighthouse 12's four scores for the built web report, on a phone and on a desktop.

    python tests/web/lighthouse.py OUT_DIR [--uncompressed]   (make lighthouse; needs npm ci --prefix tests/web)

Serves OUT_DIR on a free port of 127.0.0.1, gzipped as a reader's web server would send it, and
runs the Lighthouse pinned in tests/web/package-lock.json with Debian's Chromium, once with its
default mobile emulation and once with `--preset=desktop`. Prints one line per form factor and
writes each full report beside this file's output as lighthouse-<form factor>.json in OUT_DIR/..
(not under OUT_DIR, whose files are published). Standard library only; not part of `make test`:
a Lighthouse run takes about a minute and its performance score moves with the machine's load.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FORM_FACTORS = {"mobile": [], "desktop": ["--preset=desktop"]}
COMPRESSED = {".html", ".css", ".js", ".json", ".svg"}


class _Server(SimpleHTTPRequestHandler):
    """Files gzipped for a client that accepts it, as any production web server sends text (plain
    `python -m http.server` sends the 0.9 MB page uncompressed, which alone costs a throttled phone
    4 s before its first paint: --uncompressed measures that); no line per request."""

    compress = True

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if (
            not self.compress
            or "gzip" not in self.headers.get("Accept-Encoding", "")
            or path.suffix not in COMPRESSED
            or not path.is_file()
        ):
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def scores(url: str, flags: list[str], report: Path) -> dict[str, int]:
    """Lighthouse's score (0-100) in each category for `url`, its JSON report kept at `report`."""
    browser = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
    subprocess.run(
        [
            "node",
            str(LIGHTHOUSE),
            url,
            *flags,
            "--output=json",
            f"--output-path={report}",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": browser},
    )
    result = json.loads(report.read_text(encoding="utf-8"))
    return {name: round(100 * (result["categories"][name]["score"] or 0)) for name in CATEGORIES}


def main(out_dir: Path, compress: bool = True) -> int:
    if not LIGHTHOUSE.is_file():
        print("Lighthouse is missing: run `npm ci --prefix tests/web` (make lighthouse does)", file=sys.stderr)
        return 2
    _Server.compress = compress
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Server, directory=str(out_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
    try:
        for form, flags in FORM_FACTORS.items():
            found = scores(url, flags, out_dir.resolve().parent / f"lighthouse-{form}.json")
            print(f"{form:8}" + "  ".join(f"{name} {value}" for name, value in found.items()), flush=True)
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--uncompressed"]
    sys.exit(main(Path(args[0] if args else "outputs"), compress="--uncompressed" not in sys.argv))
