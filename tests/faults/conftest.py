"""The devnet chain of tests/devnet (one anvil with the scenario played, for the session)
and an explorer replay built from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.chains.fake_explorer import FakeExplorer
from tests.devnet.conftest import Played, played
from tests.devnet.test_sources_agree import index_chain, rpc
from tests.faults.replay import explorer_replay

__all__ = ["played"]


@pytest.fixture(scope="module")
def explorer_rows(played: Played) -> dict[str, list[dict[str, Any]]]:
    return index_chain(played.node.url)


@pytest.fixture
def explorer(played: Played, explorer_rows: dict[str, list[dict[str, Any]]]
             ) -> Iterator[tuple[FakeExplorer, str]]:
    """The explorer's rows of the devnet chain, its proxy module forwarding to the node,
    served on loopback: (the site, its API URL)."""
    url = played.node.url
    site = FakeExplorer(explorer_rows, lambda method, params: rpc(url, method, params))
    with explorer_replay(site) as api:
        yield site, api
