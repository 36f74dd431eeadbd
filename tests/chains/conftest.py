"""HTTP through `responses`, with retries that do not wait."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import responses

from chains.evm import rpc


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpc, "RETRY", replace(rpc.RETRY, backoff_s=0.001, max_wait_s=0.002))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as requests_mock:
        yield requests_mock
