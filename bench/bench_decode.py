"""The generic transfer decoder on real mainnet logs, against a byte-slicing baseline.

Input: the 681 logs of mainnet blocks 17173049-17173050 as ethereum-etl exported them
(../shared/realdata/ethereum-etl-blocks/, JSON lines), read once into RawLog records, and
the blocks' 298 transactions with their receipts' logs as RawTx records. Reading is not
timed.

Timed, in the same run, each the best of a few runs (interleaved, so both meet the same
machine), each run a number of passes over all the logs:

- project: scanner.decode.transfers.token_transfers on every log, its TokenTransfer
  records collected in a list;
- baseline: the least a decoder can do in Python (`slice_transfer` below): check topic0
  and the topic count, slice the addresses and the amount out of the hex strings, a tuple
  per transfer; no validation at all;
- info: scanner.decode.transfers.decode_movements on every transaction, each transaction's
  sender taken as a wallet (gas, native value and every token leg of the senders).

Both decoders must find the same transfers (and ethereum-etl's own token transfers for the
ERC-20 and ERC-721 ones), and decode_movements one token leg per wallet side of each;
otherwise the bench stops. The target: the project decodes at least 0.3 times as many logs
a second as the baseline.

    python bench/bench_decode.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from figures import print_figures

from chains.evm.abi import TRANSFER, TRANSFER_SINGLE
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.transfers import decode_movements, token_transfers

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
ETL = "ethereum-etl-blocks/blocks_17173049_17173050_expected_"
ETH = "eip155:1/slip44:60"
TARGET = 0.3  # project logs/s over baseline logs/s, at least

# (log_index, token, sender, recipient, amount, token_id): one transfer, as both give it
Found = tuple[int, str, str, str, int, int | None]


def slice_transfer(log: RawLog) -> Found | None:
    """The baseline: topic0 and the topic count decide, the hex strings are sliced."""
    topics = log.topics
    count = len(topics)
    if not count:
        return None
    topic0 = topics[0]
    if topic0 == TRANSFER:
        if count == 3:
            return (log.log_index, log.address, "0x" + topics[1][26:], "0x" + topics[2][26:],
                    int(log.data[2:66], 16), None)
        if count == 4:
            return (log.log_index, log.address, "0x" + topics[1][26:], "0x" + topics[2][26:],
                    1, int(topics[3], 16))
    elif topic0 == TRANSFER_SINGLE and count == 4:
        data = log.data
        return (log.log_index, log.address, "0x" + topics[2][26:], "0x" + topics[3][26:],
                int(data[66:130], 16), int(data[2:66], 16))
    return None


def baseline_pass(logs: Sequence[RawLog]) -> list[Found]:
    found: list[Found] = []
    append = found.append
    for log in logs:
        item = slice_transfer(log)
        if item is not None:
            append(item)
    return found


def project_pass(logs: Sequence[RawLog]) -> list[Any]:
    found: list[Any] = []
    extend = found.extend
    for log in logs:
        extend(token_transfers(log))
    return found


def movements_pass(txs: Sequence[RawTx], wallets: frozenset[str]) -> int:
    return sum(len(decode_movements(tx, wallets, ETH, {})) for tx in txs)


def read_lines(name: str) -> list[dict[str, Any]]:
    text = (REALDATA / f"{ETL}{name}.json").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_input() -> tuple[list[RawLog], list[RawTx], set[Found]]:
    """The logs (in block order), the transactions with their logs, and ethereum-etl's
    ERC-20 and ERC-721 transfers."""
    rows = read_lines("logs")
    logs = [RawLog(r["log_index"], r["address"], tuple(r["topics"]), r["data"]) for r in rows]
    by_tx: dict[str, list[RawLog]] = {}
    for row, log in zip(rows, logs, strict=True):
        by_tx.setdefault(row["transaction_hash"], []).append(log)
    txs = [RawTx(1, t["hash"], t["block_number"], t["transaction_index"],
                 datetime.fromtimestamp(t["block_timestamp"], tz=UTC), t["from_address"],
                 t["to_address"], int(t["value"]), int(t["receipt_gas_used"]),
                 int(t["receipt_effective_gas_price"]), t["receipt_status"] == 1,
                 tuple(by_tx.get(t["hash"], ())))
           for t in read_lines("transactions")]
    etl: set[Found] = {(t["log_index"], t["token_address"], t["from_address"], t["to_address"],
            int(t["value"]), None) for t in read_lines("token_transfers")}
    return logs, txs, etl


def agree(logs: list[RawLog], txs: list[RawTx], wallets: frozenset[str],
          etl: set[Found]) -> list[Found]:
    """Both decoders find the same transfers; ethereum-etl's are among them; every token
    leg decode_movements makes is one of them. Returns the transfers."""
    ours = [(t.log_index, t.token, t.sender, t.recipient, t.amount, t.token_id)
            for t in project_pass(logs)]
    theirs = baseline_pass(logs)
    if ours != theirs:
        raise AssertionError(f"the decoders disagree: {sorted(set(ours) ^ set(theirs))[:5]}")
    # ethereum-etl gives an ERC-721's token id as its value
    as_etl = {(i, token, a, b, amount if token_id is None else token_id, None)
              for i, token, a, b, amount, token_id in ours}
    if not etl <= as_etl:
        raise AssertionError(f"transfers ethereum-etl found and the decoders did not: "
                             f"{sorted(etl - as_etl)[:5]}")
    sides = sum((a in wallets) + (b in wallets) for _, _, a, b, amount, _ in ours
                if amount and a != b)
    legs = sum(1 for tx in txs for m in decode_movements(tx, wallets, ETH, {})
               if m.leg_key.startswith("log:"))
    if legs != sides:
        raise AssertionError(f"decode_movements made {legs} token legs, the transfers give "
                             f"{sides} wallet sides")
    return ours


def best_of(runs: int, timers: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each timer's best time over `runs` rounds, the timers taking turns in each round."""
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(runs):
        for name, run in timers.items():
            gc.collect()
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes and runs")
    args = parser.parse_args(argv)
    if not (REALDATA / f"{ETL}logs.json").is_file():
        print(f"decode bench: {REALDATA / 'ethereum-etl-blocks'} is absent: nothing to time")
        return 0
    passes, runs = (20, 3) if args.quick else (300, 7)
    logs, txs, etl = read_input()
    wallets = frozenset(tx.from_address for tx in txs)
    found = agree(logs, txs, wallets, etl)
    kinds = {"ERC-20": sum(1 for f in found if f[5] is None),
             "ERC-721/1155": sum(1 for f in found if f[5] is not None)}
    print(f"generic transfer decoder, mainnet blocks 17173049-17173050: {len(logs)} logs, "
          f"{len(txs)} transactions ({'quick' if args.quick else 'full'} run)")
    print(f"  both decoders find the same {len(found)} transfers ("
          + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
          + f"), ethereum-etl's {len(etl)} among them", flush=True)

    def repeat(work: Callable[[], object]) -> Callable[[], object]:
        def run() -> None:
            for _ in range(passes):
                work()
        return run

    best = best_of(runs, {
        "baseline": repeat(lambda: baseline_pass(logs)),
        "project": repeat(lambda: project_pass(logs)),
        "movements": repeat(lambda: movements_pass(txs, wallets)),
    })
    total = passes * len(logs)
    rate = {name: total / seconds for name, seconds in best.items()}
    ratio = rate["project"] / rate["baseline"]
    lines = [
        ("baseline (byte slicing) logs/s", f"{rate['baseline']:,.0f}", "info", ""),
        ("project token_transfers logs/s", f"{rate['project']:,.0f}", "info", ""),
        ("project / baseline", f"{ratio:.2f}", f">= {TARGET}", verdict(ratio >= TARGET)),
        ("decode_movements logs/s (info)", f"{rate['movements']:,.0f}", "info", ""),
        ("decode_movements txs/s (info)",
         f"{passes * len(txs) / best['movements']:,.0f}", "info", ""),
    ]
    print(f"  {passes} passes over the {len(logs)} logs a run, best of {runs} runs each")
    print_figures(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
