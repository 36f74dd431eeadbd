"""`taxscan explain TXHASH`: a transaction's legs as the ledger has them, the kind and
treatment of each, the decoder or generic rule behind it, the position or receipt it went
into or came out of, and what it did to the lots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from chains.errors import UserInputError
from chains.evm.records import RawTx
from scanner.app.config_protocols import named_contracts
from scanner.app.export import tx_url
from scanner.app.readmodel import Books
from scanner.formats.ledger_export import ledger_export_rows
from scanner.formats.rows import Row, Shape
from scanner.ledger.build import decode_context
from scanner.ledger.classify import UNEXPLAINED
from scanner.ledger.decode.protocols import Refinement, refine_all
from scanner.ledger.decode.registry import DECODERS
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.pairing import FEE_PROTOCOL
from scanner.ledger.positions import POSITION, is_position_leg, position_story
from scanner.ledger.records import EXCHANGES, Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.policy import Policy
from scanner.tax.treatment import treatment_of

REBASE = "rebase"
GENERIC = "generic"

EXPLAIN = Shape(
    fields=("wallet", "leg", "kind", "protocol", "asset", "symbol", "quantity", "usd_value",
            "price_source", "treatment", "decoder", "rule", "position", "opens_lot",
            "draws_on", "gain_usd"),
    table=("leg", "kind", "protocol", "symbol", "quantity", "usd_value", "price_source",
           "treatment", "decoder", "rule", "gain_usd"),
)

# why the generic net-flow rules (scanner.classify) gave each kind
_GENERIC_RULES = {
    Kind.TRADE: "one asset out, another in: a trade",
    Kind.INCOME: "only inflows in the wallet's own transaction, paid by a contract that "
                 "said it paid a claim: income (a claim)",
    Kind.TRANSFER_IN: "only inflows, someone else sent the transaction: a deposit",
    Kind.TRANSFER_OUT: "only outflows: a send",
    Kind.SELF_TRANSFER: "between two of your own wallets",
    Kind.FEE: "gas the wallet paid",
    Kind.SPAM: "a token the spam score (or you) marked as spam",
}

_UNEXPLAINED_RULE = ("only inflows in the wallet's own transaction, and neither a claim "
                     "event nor an open position explains them: a transfer in, listed for "
                     "review")
_INTO = frozenset({Kind.DEPOSIT, Kind.SUPPLY, Kind.STAKE, Kind.LP_DEPOSIT, Kind.WRAP})
_OUT_OF = frozenset({Kind.WITHDRAW, Kind.UNSTAKE, Kind.LP_WITHDRAW, Kind.UNWRAP})

_TREATMENTS = {
    Kind.INCOME: "income at fair value on receipt, which is the new lot's basis",
    Kind.TRANSFER_IN: "a new lot at fair value on receipt (listed for review)",
    Kind.TRANSFER_OUT: "the lots leave the books, nothing is realized",
    Kind.SELF_TRANSFER: "the lots move with their dates and basis",
    Kind.FEE: "the coin spent is a disposal; its value goes into the trade's basis or "
              "proceeds",
    Kind.SPAM: "out of every figure",
    Kind.BORROW: "a loan received: a lot at fair value, not income",
    Kind.REPAY: "a loan paid back: the lots leave the books, nothing is realized",
    Kind.DEBT: "the loan's debt token: a liability, kept out of the lots",
}


@dataclass(frozen=True)
class Explained:
    tx_hash: str
    chain_id: int
    url: str | None
    rows: list[Row]
    currency: str  # of the rows' values and gains: the jurisdiction's


def explain(store: Store, books: Books, tx_hash: str) -> Explained:
    wanted = tx_hash.strip().lower()
    entries = [e for e in books.valued if e.tx_hash.lower() == wanted]
    if not entries:
        raise UserInputError(f"transaction {tx_hash} is not in the ledger of any scanned or "
                             "imported wallet")
    chain_id = entries[0].chain_id
    refined = _refinements(store, books, chain_id, entries[0].tx_hash)
    lineage = ledger_export_rows(entries, books.lots, tx_url)
    rows = [_row(entry, line, refined, books.policy, _position(entry, entries, books.valued))
            for entry, line in zip(entries, lineage, strict=True)]
    return Explained(entries[0].tx_hash, chain_id, tx_url(chain_id, entries[0].tx_hash), rows,
                     books.currency)


def _refinements(store: Store, books: Books, chain_id: int,
                 tx_hash: str) -> dict[str, Refinement] | None:
    """The protocol decoders' reading of the transaction, per wallet, from its raw records;
    None when there are none (the legs were imported)."""
    chain = next((c for c in books.chains if c.chain_id == chain_id), None)
    raw: RawTx | None = next((t for t in store.raw_txs(chain_id) if t.tx_hash == tx_hash),
                             None) if chain is not None else None
    if chain is None or raw is None:
        return None
    wallets = frozenset(store.wallets(chain_id))
    tokens = store.tokens(chain_id)
    context = decode_context(chain, wallets, tokens, named_contracts(store, chain_id))
    moves = decode_movements(raw, wallets, chain.native_asset, tokens)
    return refine_all(raw, moves, context, DECODERS)


def _row(entry: LedgerEntry, line: Row, refined: dict[str, Refinement] | None,
         policy: Policy, position: str) -> Row:
    mine = None if refined is None else refined.get(entry.wallet)
    if entry.protocol == POSITION:
        decoder, why = POSITION, "the transaction's legs went into (or came back from) an " \
            "open position with a contract, found across the wallet's transactions"
    elif entry.protocol == UNEXPLAINED:
        decoder, why = GENERIC, _UNEXPLAINED_RULE
    elif entry.protocol == REBASE:
        decoder, why = REBASE, "balance snapshots: the token grew (or shrank) with no " \
            "Transfer event"
    elif refined is None:
        decoder, why = "import", "as the imported file says"
    elif mine is not None and entry.kind is not Kind.FEE and entry.leg_key in mine.kinds:
        decoder, why = mine.decoder, mine.note
    else:
        decoder, why = GENERIC, _GENERIC_RULES.get(entry.kind, "")
    return {
        "wallet": entry.wallet, "leg": entry.leg_key, "kind": entry.kind.value,
        "protocol": entry.protocol, "asset": entry.asset, "symbol": entry.symbol,
        "quantity": line["quantity"], "usd_value": line["usd_value"],
        "price_source": entry.price_source, "treatment": treatment(entry, policy),
        "decoder": decoder, "rule": why, "position": position, "opens_lot": line["opens_lot"],
        "draws_on": line["draws_on"], "gain_usd": line["gain_usd"],
    }


def _position(entry: LedgerEntry, legs: Sequence[LedgerEntry],
              ledger: Sequence[LedgerEntry]) -> str:
    """The open position or the receipt the leg went into or came out of; "" for none."""
    group = [e for e in legs if e.wallet == entry.wallet]
    held = [e for e in group if is_position_leg(e)]
    if held:
        return position_story(ledger, held[0], entry.kind) or ""
    if entry.kind in _INTO:
        receipts = [e for e in group if e.kind is entry.kind and e.raw_amount > 0]
    elif entry.kind in _OUT_OF:
        receipts = [e for e in group if e.kind is entry.kind and e.raw_amount < 0]
    else:
        return ""
    named = dict.fromkeys(f"{e.symbol or 'token'} ({e.asset})" for e in receipts)
    return ("receipt: " + ", ".join(named)) if named else ""


def treatment(entry: LedgerEntry, policy: Policy) -> str:
    """What the leg's kind does to the lots under `policy`."""
    if entry.kind in EXCHANGES:
        chosen = treatment_of(policy.treatments, entry.kind, entry.protocol)
        return "carry_basis: no gain, the basis and dates carry over" \
            if chosen.value == "carry_basis" else "taxable: a disposal at fair value"
    if entry.protocol == FEE_PROTOCOL:
        return "what a move between your own accounts lost on the way: a disposal of that " \
               "part at fair value, with its share of the basis"
    return _TREATMENTS.get(entry.kind, "")


def total_gain(rows: Sequence[Row]) -> Decimal | None:
    """The transaction's realized gain, or None when a part is unknown or nothing was
    disposed of."""
    gains = [row["gain_usd"] for row in rows if row["draws_on"]]
    if not gains or any(gain is None for gain in gains):
        return None
    return sum((Decimal(gain) for gain in gains), Decimal(0))
