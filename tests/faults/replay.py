"""An Etherscan-compatible explorer over real loopback HTTP: FakeExplorer's answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

from tests.chains.fake_explorer import FakeExplorer
from tests.faults.loopback import QuietHandler, serving


class _ExplorerHandler(QuietHandler):
    def do_GET(self) -> None:
        site: FakeExplorer = self.owner()
        status, body = site.answer(dict(parse_qsl(urlsplit(self.path).query)))
        self.respond(status, body.encode(), {"Content-Type": "application/json"})


@contextmanager
def explorer_replay(site: FakeExplorer) -> Iterator[str]:
    """`site` served on loopback; yields its API base URL (…/api)."""
    with serving(_ExplorerHandler, site) as origin:
        yield f"{origin}/api"
