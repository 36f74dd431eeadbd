"""Koinly's universal CSV: one row per trade, deposit or withdrawal of an off-chain account;
`taxscan import --format koinly` reads it, `taxscan export --format koinly` writes it.

    Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,
    Net Worth Amount,Net Worth Currency,Label,Description,TxHash

Reading: dates are UTC (`YYYY-MM-DD HH:MM`, `:SS` and a trailing ` UTC` allowed); amounts
are positive. USD is money, not an asset: it gets no leg but gives the leg it pays for its
USD value: the USD paid, and a USD fee, is a buy's basis (IRC 1012); the USD received, less
a USD fee, a sale's proceeds (IRC 1001(b)), whatever the Net Worth says. Net Worth values a
row without USD: both legs of a trade, a receipt, a sending. Values are below 1e28 and
rounded to the ten places they are stored with. A leg the row gives no value (a fee, a row
without Net Worth) is valued by taxscan as a chain leg is: by its trade's other leg (a USD
stablecoin, the native coin...) or by its price (scanner.ledger.valuation).

Writing, so that the reader above (and Koinly) reads the ledger back:
- Date: UTC, `YYYY-MM-DD HH:MM`, the form Koinly documents ("YYYY-MM-DD 00:00 UTC"); the
  seconds are dropped, and rows of one minute keep the ledger's order.
- Label, by the row's kind, from Koinly's tag lists ("What are tags",
  support.koinly.io/en/articles/9490023; staking: 9490056; loans: 9490026; "swap":
  help.koinly.io/en/articles/3663453); of them the importer reads only the income labels:
    trade, transfer_in, transfer_out    none (Koinly: a trade; a buy; a sale)
    income                              "reward" (Koinly's tag for staking rewards and the
                                        like), "lending interest" for interest
    fee only                            "cost" (still a disposal, listed as an expense)
    wrap, unwrap, stake, unstake,       "swap" (Koinly's tax-free trade, the basis carried)
    supply, deposit, withdraw (one row) when taxscan carries the basis, else none
    stake, supply sent alone            "add to pool"; unstake received alone: "remove
                                        from pool" (when the basis is carried)
    deposit, withdraw in several rows   "liquidity in", "liquidity out" on each (when the
                                        basis is carried): assets into a contract for its
                                        receipt and back, Koinly's liquidity model, not its
                                        pool tags (which want the same asset back)
    lp_deposit, lp_withdraw             "liquidity in", "liquidity out"
    borrow, repay                       "loan", "loan repayment"
    self_transfer                       no row: the file is one Koinly wallet, and a move
                                        between two of its wallets is no event there; its
                                        fee is a "cost" row
- Koinly takes no fee on a deposit: a receiving row's fee goes on a "cost" row of its own,
  as Koinly advises.
- Net Worth: the USD value of what the row receives (a trade's received leg, else the sent
  leg's when that is unknown), of what it sends otherwise, in USD; empty when unknown.
- Description: the wallet and protocol; TxHash: the hash when it is 0x and 64 hex digits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from chains.addresses import asset_chain_id, erc20_asset, native_asset, parse_any_asset_id
from chains.errors import AddressError, UserInputError
from scanner.formats.csvtext import (
    YEARS,
    Record,
    columns,
    exact_amount,
    is_blank,
    parse_amount,
    read_text,
    records,
    unique_key,
)
from scanner.formats.rows import qty
from scanner.formats.transactions import (
    Carries,
    Row,
    default_carries,
    description,
    guard,
    side_cells,
    transaction_rows,
    tx_hash_cell,
    utc,
)
from scanner.ledger.classify import group_id
from scanner.ledger.records import EXCHANGES, Kind, LedgerEntry
from scanner.ledger.valuation import USD_LIMIT
from scanner.money import usd
from scanner.prices.natives import NATIVE_COINS
from scanner.tax.treatment import LENDING_INTEREST, STAKING, income_kind

HEADER = ("Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency",
          "Fee Amount", "Fee Currency", "Net Worth Amount", "Net Worth Currency", "Label",
          "Description", "TxHash")
PROTOCOL = "koinly"
PRICE_SOURCE = "koinly"
SYNTHETIC_DIGITS = 32  # hex digits of sha256 in a synthetic transaction id

# the native coins of other chains (BTC, SOL...), then Ethereum mainnet's (the registry
# lists these addresses without their symbols)
DEFAULT_ASSETS: Mapping[str, str] = {
    **{coin.symbol: coin.asset for coin in NATIVE_COINS},
    "ETH": native_asset(1, 60),
    "WETH": erc20_asset(1, "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"),
    "USDC": erc20_asset(1, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
    "USDT": erc20_asset(1, "0xdac17f958d2ee523a2206206994597c13d831ec7"),
    "DAI": erc20_asset(1, "0x6b175474e89094c44da98b954eedeac495271d0f"),
}
USD = "USD"
OTHER_FIAT = frozenset({"EUR", "GBP", "CAD", "AUD", "CHF", "JPY"})
INCOME_LABELS = frozenset({"airdrop", "fork", "mining", "reward", "income", "staking",
                           "lending interest", "other income"})

LOCAL_ASSET_PREFIX = "taxscan:koinly/symbol:"
_LOCAL_SYMBOL = re.compile(r"[A-Za-z0-9][-._:A-Za-z0-9]{0,39}")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?(?: UTC)?")
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")

STAKING_LABEL = "staking"  # Koinly's older income label for staking rewards

DATE_FORMAT = "%Y-%m-%d %H:%M"
INCOME_LABEL = "reward"
INTEREST_LABEL = "lending interest"
FEE_LABEL = "cost"
SWAP_LABEL = "swap"
_LABELS = {Kind.FEE: FEE_LABEL, Kind.LP_DEPOSIT: "liquidity in",
           Kind.LP_WITHDRAW: "liquidity out", Kind.BORROW: "loan",
           Kind.REPAY: "loan repayment"}
_ALONE_LABELS = {(Kind.STAKE, True): "add to pool", (Kind.SUPPLY, True): "add to pool",
                 (Kind.UNSTAKE, False): "remove from pool",
                 (Kind.DEPOSIT, True): "liquidity in", (Kind.DEPOSIT, False): "liquidity in",
                 (Kind.WITHDRAW, True): "liquidity out",
                 (Kind.WITHDRAW, False): "liquidity out"}  # (kind, sends) -> label


@dataclass(frozen=True)
class _Side:
    """An amount and its currency as the row gives them."""

    amount: Decimal
    currency: str

    @property
    def is_usd(self) -> bool:
        return self.currency.upper() == USD


@dataclass(frozen=True)
class _Leg:
    key: str  # "sent", "received", "fee"
    side: _Side
    outgoing: bool
    kind: Kind
    usd_value: Decimal | None
    protocol: str = PROTOCOL


@dataclass(frozen=True)
class _Row:
    line: int
    text: str
    timestamp: datetime
    tx_hash: str | None  # a 0x hash the row gives, lowercase
    legs: tuple[_Leg, ...]


def read_koinly(path: Path, *, account: str,
                assets: Mapping[str, str] | None = None) -> list[LedgerEntry]:
    """Every row of a Koinly universal CSV as ledger legs of `account`, in file order.

    `assets` maps currency symbols (any case) to CAIP-19 asset ids, over DEFAULT_ASSETS;
    another symbol gets its local id (`local_asset`). A bad row stops the import with its
    line number; currencies that have no asset id and cannot have a local one are all named
    at once.
    """
    symbols = _asset_map(assets)
    rows = records(path, read_text(path, "Koinly file"))
    where = columns(path, next(rows, None), HEADER)
    parsed: list[_Row] = []
    unmapped: dict[str, tuple[str, int]] = {}  # SYMBOL -> (as first written, its line)
    for record in rows:
        if is_blank(record):
            continue
        if len(record.cells) != len(HEADER):
            raise UserInputError(f"{path}:{record.line}: expected {len(HEADER)} fields, "
                                 f"found {len(record.cells)}")
        row = _parse_row(path, record, where)
        for leg in row.legs:
            symbol = leg.side.currency.upper()
            if symbol not in symbols:
                local = local_asset(leg.side.currency)
                if local is None:
                    unmapped.setdefault(symbol, (leg.side.currency, row.line))
                else:
                    symbols[symbol] = local
        parsed.append(row)
    if unmapped:
        named = ", ".join(f"{symbol if symbol.isprintable() else repr(symbol)} (line {line})"
                          for symbol, line in unmapped.values())  # one line, whatever it holds
        raise UserInputError(
            f"{path}: no asset id for {named}: map each to a CAIP-19 asset id "
            f"(--asset SYMBOL=ASSET_ID, e.g. --asset ETH=eip155:1/slip44:60)")
    return _entries(parsed, symbols, account)


def local_asset(symbol: str) -> str | None:
    """The local asset id of a symbol no asset id is given for, in taxscan's own CAIP-19
    namespace (`taxscan:koinly/symbol:KAVA`, upper case, `:` and `_` %-escaped): stable, the
    same in every file, so prices can name it. None for a symbol that cannot be one (spaces,
    other characters, over 40 characters)."""
    if not _LOCAL_SYMBOL.fullmatch(symbol):
        return None
    return LOCAL_ASSET_PREFIX + symbol.upper().replace(":", "%3A").replace("_", "%5F")


def local_symbols(entries: Iterable[LedgerEntry]) -> list[str]:
    """The symbols of `entries` imported under a local asset id, in the order first met."""
    return list(dict.fromkeys(e.symbol.upper() for e in entries
                              if e.asset.startswith(LOCAL_ASSET_PREFIX) and e.symbol))


def _asset_map(assets: Mapping[str, str] | None) -> dict[str, str]:
    symbols = dict(DEFAULT_ASSETS)
    for symbol, asset in (assets or {}).items():
        key = symbol.strip().upper()
        if not key or key == USD or key in OTHER_FIAT:
            raise UserInputError(f"cannot map {symbol!r} to an asset: it must be a symbol "
                                 "other than a fiat currency")
        try:
            symbols[key] = parse_any_asset_id(asset)
        except AddressError as exc:
            raise AddressError(f"asset id for {symbol}: {exc}") from None
    return symbols


def _parse_row(path: Path, record: Record, where: dict[str, int]) -> _Row:
    def cell(name: str) -> str:
        return record.cells[where[name]].strip()

    def fail(problem: str) -> UserInputError:
        return UserInputError(f"{path}:{record.line}: {problem}")

    def side(what: str, *, may_be_zero: bool = False) -> _Side | None:
        amount_text, currency = cell(f"{what} Amount"), cell(f"{what} Currency")
        if not amount_text and not currency:
            return None
        if not currency:
            raise fail(f"{what} Amount {amount_text!r} has no {what} Currency")
        if not amount_text:
            raise fail(f"{what} Currency {currency!r} has no {what} Amount")
        if currency.upper() in OTHER_FIAT:
            raise fail(f"{what} Currency is {currency}: only USD values are supported")
        if parse_amount(amount_text) is None or Decimal(amount_text) < 0 \
                or (Decimal(amount_text) == 0 and not may_be_zero):
            least = "from 0" if may_be_zero else "above 0"
            raise fail(f"{what} Amount is not a decimal number {least}: {amount_text!r}")
        return _Side(Decimal(amount_text), currency)

    date_text = cell("Date")
    timestamp = _date(date_text)
    if timestamp is None:
        raise fail(f"Date is not YYYY-MM-DD HH:MM[:SS] (UTC): {date_text!r}")
    if timestamp.year not in YEARS:
        raise fail(f"Date is not in the years {YEARS[0]} to {YEARS[-1]}: {date_text!r}")
    sent, received, fee = side("Sent"), side("Received"), side("Fee")
    worth_side = side("Net Worth", may_be_zero=True)
    if worth_side is not None and not worth_side.is_usd:
        raise fail(f"Net Worth Currency must be USD, not {worth_side.currency!r}")
    worth = None if worth_side is None else worth_side.amount
    if sent is None and received is None:
        raise fail("the row neither sends nor receives anything")

    legs: list[_Leg] = []
    label = " ".join(cell("Label").replace("_", " ").split()).casefold()
    if sent is not None and not sent.is_usd and received is not None and not received.is_usd:
        legs = [_Leg("sent", sent, True, Kind.TRADE, worth),
                _Leg("received", received, False, Kind.TRADE, worth)]
    elif received is not None and not received.is_usd:
        if sent is not None:  # bought with USD: the USD paid
            value = sent.amount
            if fee is not None and fee.is_usd:
                value += fee.amount
            legs = [_Leg("received", received, False, Kind.TRADE, value)]
        else:
            kind = Kind.INCOME if label in INCOME_LABELS else Kind.TRANSFER_IN
            legs = [_Leg("received", received, False, kind, worth,
                         STAKING if label == STAKING_LABEL else PROTOCOL)]
    elif sent is not None and not sent.is_usd:
        if received is not None:  # sold for USD: the USD received
            value = received.amount
            if fee is not None and fee.is_usd:
                value -= fee.amount
                if value < 0:
                    raise fail("the USD fee is larger than the USD value of the sale")
            legs = [_Leg("sent", sent, True, Kind.TRADE, value)]
        else:
            legs = [_Leg("sent", sent, True, Kind.TRANSFER_OUT, worth)]
    # else the row moves USD only: nothing to record, and no USD fee to place

    if fee is not None and not fee.is_usd:
        legs.append(_Leg("fee", fee, True, Kind.FEE, None))
    elif fee is not None and legs and not _pays_usd(sent, received):
        # a USD fee went into the value of a buy or a sale above; on a row moving USD only
        # there is nothing to put it on; on any other row it has no place
        raise fail("a USD fee is only supported on a buy or a sale for USD: give the fee "
                   "in the currency it was paid in")
    if (worth is not None and worth >= USD_LIMIT) or any(
            leg.usd_value is not None and leg.usd_value >= USD_LIMIT for leg in legs):
        raise fail("a USD value must be below 1e28")
    tx_text = cell("TxHash")
    tx_hash = tx_text.lower() if _TX_HASH.fullmatch(tx_text) else None
    return _Row(record.line, record.text, timestamp, tx_hash, tuple(legs))


def _pays_usd(sent: _Side | None, received: _Side | None) -> bool:
    return (sent is not None and sent.is_usd) or (received is not None and received.is_usd)


def _date(text: str) -> datetime | None:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups(default="0")
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        tzinfo=UTC)
    except ValueError:
        return None


def _chain(asset: str) -> int:
    return asset_chain_id(asset)


def _entries(rows: list[_Row], symbols: Mapping[str, str], account: str) -> list[LedgerEntry]:
    synthetic: dict[str, int] = {}
    seen: dict[tuple[str, str, str], int] = {}
    entries: list[LedgerEntry] = []
    for row in rows:
        if not row.legs:
            continue
        tx_hash = row.tx_hash
        if tx_hash is None:
            digest = hashlib.sha256(row.text.encode("utf-8")).hexdigest()[:SYNTHETIC_DIGITS]
            base = f"koinly:{digest}"
            synthetic[base] = count = synthetic.get(base, 0) + 1
            tx_hash = base if count == 1 else f"{base}:{count}"
        assets = [symbols[leg.side.currency.upper()] for leg in row.legs]
        chains = {_chain(asset) for asset in assets}
        group = group_id(chains.pop() if len(chains) == 1 else 0, tx_hash, account)
        for leg, asset in zip(row.legs, assets, strict=True):
            raw_amount, decimals = exact_amount(leg.side.amount)
            entries.append(LedgerEntry(
                chain_id=_chain(asset), tx_hash=tx_hash,
                leg_key=unique_key(seen, tx_hash, account, leg.key), log_index=None,
                block_number=0, tx_index=row.line, timestamp=row.timestamp, wallet=account,
                kind=leg.kind, protocol=leg.protocol, asset=asset, symbol=leg.side.currency,
                raw_amount=-raw_amount if leg.outgoing else raw_amount, decimals=decimals,
                counterparty=None, group_id=group,
                usd_value=None if leg.usd_value is None else usd(leg.usd_value),
                price_source=None if leg.usd_value is None else PRICE_SOURCE,
            ))
    return entries


# ---- writing ----------------------------------------------------------------------------


def koinly_csv(entries: Iterable[LedgerEntry], carries: Carries = default_carries) -> str:
    """The ledger as Koinly's universal CSV, one row per trade, send or receipt; `carries`
    says which exchanges taxscan takes as non-taxable."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in transaction_rows(entries):
        fee_row = None if row.fee is None else Row(
            row.timestamp, row.chain_id, row.tx_hash, row.wallet, row.protocol, Kind.FEE,
            row.fee, None, None)
        if row.kind is Kind.SELF_TRANSFER:
            if fee_row is not None:
                writer.writerow(_cells(fee_row, carries))
        elif fee_row is not None and row.sent is None:  # Koinly: a deposit has no fee
            writer.writerow(_cells(Row(row.timestamp, row.chain_id, row.tx_hash, row.wallet,
                                       row.protocol, row.kind, None, row.received, None),
                                   carries))
            writer.writerow(_cells(fee_row, carries))
        else:
            writer.writerow(_cells(row, carries))
    return buffer.getvalue()


def label(row: Row, carries: Carries = default_carries) -> str:
    """The row's Label (see the module's table)."""
    if row.kind is Kind.INCOME:
        return INTEREST_LABEL if income_kind(row.protocol) == LENDING_INTEREST \
            else INCOME_LABEL
    if row.kind in _LABELS:
        return _LABELS[row.kind]
    if row.kind is Kind.TRADE or row.kind not in EXCHANGES \
            or not carries(row.kind, row.protocol):
        return ""
    if row.sent is not None and row.received is not None:
        return SWAP_LABEL
    return _ALONE_LABELS.get((row.kind, row.sent is not None), "")


def _cells(row: Row, carries: Carries) -> list[str]:
    worth = None
    if row.received is not None:
        worth = row.received.usd_value
    if worth is None and row.sent is not None:
        worth = row.sent.usd_value
    return [
        utc(row.timestamp).strftime(DATE_FORMAT),
        *side_cells(row.sent),
        *side_cells(row.received),
        *side_cells(row.fee),
        "" if worth is None else qty(worth),
        "" if worth is None else "USD",
        label(row, carries),
        guard(description(row)),
        tx_hash_cell(row.tx_hash),
    ]
