"""Raw records go into the store in columns (a log's topics joined, as a list of lists binds
slowly) and come back as they were: every topic count, a topic no node sends (the row path),
and a transaction saved twice in one batch (its last version)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chains.evm.records import RawLog
from scanner.store import Store
from tests.unit.rawtx import ME, STRANGER, event, transfer, tx

TOKEN = "0x" + "b2" * 20
TOPIC = "0x" + "5c" * 32


def test_logs_of_every_topic_count_come_back(tmp_path: Path) -> None:
    txs = [tx(transfer(0, TOKEN, STRANGER, ME, 5), RawLog(1, TOKEN, (), "0x"),
              event(2, TOKEN, TOPIC, [ME, STRANGER, ME], 7), n=1),
           tx(event(0, TOKEN, TOPIC, []), n=2)]
    again = replace(txs[1], logs=(event(0, TOKEN, TOPIC, [ME], 9),))
    with Store(tmp_path / "t.duckdb") as store:
        with store.transaction():
            store.add_wallet(1, ME)
            store.save_raw(ME, [*txs, again])
        assert store.raw_txs(1) == [txs[0], again]


def test_a_topic_no_node_sends_comes_back_too(tmp_path: Path) -> None:
    odd = tx(RawLog(0, TOKEN, ("", "0xa,b"), "0x"), RawLog(1, TOKEN, (TOPIC,), "0x01"), n=3)
    with Store(tmp_path / "t.duckdb") as store:
        with store.transaction():
            store.add_wallet(1, ME)
            store.save_raw(ME, [odd])
        assert store.raw_txs(1) == [odd]
