"""Render a local page in headless Chromium, as a person's browser would, for tests.

Chromium is a test requirement (the test set-up installs it): when it is missing these
helpers raise ChromiumError, and a test that calls them fails; it never skips.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 60.0  # seconds
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ChromiumError(RuntimeError):
    pass


def chromium() -> str:
    """The path of the Chromium (or Chrome) executable; $CHROMIUM overrides the search."""
    explicit = os.environ.get("CHROMIUM")
    found = shutil.which(explicit) if explicit else next(
        (path for name in _NAMES if (path := shutil.which(name))), None)
    if found is None:
        raise ChromiumError(
            f"Chromium is needed to render the page and was not found "
            f"({explicit or ', '.join(_NAMES)} on PATH): install it (Debian: "
            "apt-get install chromium) or set CHROMIUM to its path")
    return found


def rendered_dom(html_path: Path) -> str:
    """The DOM Chromium builds from the page at `html_path`, serialized as HTML."""
    dom = _run(["--dump-dom", html_path.resolve().as_uri()])
    if "<html" not in dom:
        raise ChromiumError(f"Chromium dumped no document for {html_path}: {dom[:200]!r}")
    return dom


def print_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """The page printed to `pdf_path` (A4 or Letter, Chromium's default), without the
    header and footer Chromium would add."""
    _run([f"--print-to-pdf={pdf_path.resolve()}", "--no-pdf-header-footer",
          html_path.resolve().as_uri()])
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise ChromiumError(f"Chromium wrote no PDF at {pdf_path}")
    return pdf_path


def _run(args: list[str]) -> str:
    """Chromium's stdout. Its stderr is noise on a machine without D-Bus or a GPU (and
    the Debian wrapper script's own complaints): it only matters when Chromium fails."""
    with tempfile.TemporaryDirectory(prefix="taxscan-chromium-") as profile:
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--no-default-browser-check", "--disable-extensions",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", f"--user-data-dir={profile}", *args]
        # a session of its own, so a timeout can end Chromium and every process it started
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            out, err = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired as timeout:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ChromiumError(f"Chromium took over {TIMEOUT:.0f} s: {' '.join(command)}") \
                from timeout
        if process.returncode != 0:
            raise ChromiumError(f"Chromium failed (exit {process.returncode}): "
                                f"{' '.join(command)}\n{err[-2000:]}")
        return out
