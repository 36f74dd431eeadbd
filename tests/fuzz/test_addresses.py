"""Addresses and asset ids from users: a canonical form or an AddressError, nothing else."""

from __future__ import annotations

import re

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import example, given
from hypothesis import strategies as st

from chains.addresses import (
    erc20_asset,
    native_asset,
    nft_asset,
    parse_address,
    parse_any_asset_id,
    parse_asset_id,
)
from chains.errors import AddressError
from tests.fuzz.common import TRICKY_TEXT, UNICODE_TEXT, fuzz, one_line

CANONICAL = re.compile(r"0x[0-9a-f]{40}")
HEX = "0123456789abcdefABCDEF"

hex_digits = st.text(st.sampled_from(HEX), min_size=38, max_size=66)
near_addresses = st.builds(
    lambda prefix, digits, suffix: prefix + digits + suffix,
    st.sampled_from(["0x", "0X", "", " 0x", "\t0x", "0x0x", "\uff10x", "0x\u200b", "x"]),
    hex_digits,
    st.sampled_from(["", " ", "\n", "\x00", "\u00a0", "\u2028", "g", "\u0660", "Ω"]))
address_bytes = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


def parsed_or_refused(text: str) -> str | None:
    try:
        address = parse_address(text)
    except AddressError as exc:
        one_line(exc)
        return None
    assert CANONICAL.fullmatch(address), address
    return address


@fuzz(600)
@given(st.one_of(st.text(), UNICODE_TEXT, TRICKY_TEXT, near_addresses,
                 st.text(st.sampled_from(HEX + "x\u0660\uff10 "), max_size=50)))
@example("0x" + "ab" * 20 + "\x00")
@example("0x" + "\u0661" * 40)  # Arabic-Indic digits are digits, not hex
def test_any_text_is_an_address_or_an_address_error(text: str) -> None:
    address = parsed_or_refused(text)
    if address is not None:  # the same forty hex digits, only case and outer space differ
        assert text.strip().lower() == address
        assert parse_address(address) == address
        assert parse_address(to_checksum_address(address)) == address


@fuzz(200)
@given(address_bytes, st.data())
def test_a_checksum_with_one_letter_flipped_is_refused(address: str, data: st.DataObject
                                                       ) -> None:
    good = to_checksum_address(address)
    letters = [i for i, ch in enumerate(good) if i > 1 and ch.isalpha()]
    if not letters:
        return
    i = data.draw(st.sampled_from(letters))
    flipped = good[:i] + good[i].swapcase() + good[i + 1:]
    digits = flipped[2:]
    if digits in (digits.lower(), digits.upper()):  # no case left to check: accepted
        assert parse_address(flipped) == address
        return
    with pytest.raises(AddressError, match="checksum") as caught:
        parse_address(flipped)
    assert good in one_line(caught.value)  # names the address the user probably meant


@fuzz(200)
@given(st.sampled_from([39, 41, 64, 0, 1, 80]), st.data())
def test_a_wrong_number_of_hex_digits_is_refused(count: int, data: st.DataObject) -> None:
    digits = data.draw(st.text(st.sampled_from(HEX), min_size=count, max_size=count))
    with pytest.raises(AddressError) as caught:
        parse_address("0x" + digits)
    one_line(caught.value)


# ---- asset ids --------------------------------------------------------------------------

id_parts = st.sampled_from(["1", "137", "01", "0", "\u0661", "\uff11", "1\u0660", "", "-1",
                            "1 ", "99999999999999999999", "²"])
asset_like = st.one_of(
    st.builds(lambda c, s: f"eip155:{c}/slip44:{s}", id_parts, id_parts),
    st.builds(lambda c, a: f"eip155:{c}/erc20:{a}", id_parts,
              st.one_of(address_bytes, near_addresses)),
    st.builds(lambda c, a, t: f"eip155:{c}/erc721:{a}/{t}", id_parts, address_bytes, id_parts),
    st.builds(lambda c, a, t: f"EIP155:{c}/ERC1155:{a.upper()}/{t}", id_parts, address_bytes,
              id_parts),
    st.text(), TRICKY_TEXT,
)


def canonical_eip155(asset: str) -> str:
    """The id rebuilt from its parts by the functions the scanner writes ids with."""
    chain, rest = asset.removeprefix("eip155:").split("/", 1)
    standard, reference = rest.split(":", 1)
    if standard == "slip44":
        return native_asset(int(chain), int(reference))
    if standard == "erc20":
        return erc20_asset(int(chain), reference)
    token, token_id = reference.split("/")
    return nft_asset(int(chain), standard, token, int(token_id))


@fuzz(600)
@given(asset_like)
@example("eip155:\uff11/slip44:\uff16\uff10")  # full-width digits: was kept as another asset
@example("eip155:01/slip44:60")  # a leading zero: was another asset than eip155:1/slip44:60
@example("eip155:1/erc721:0x" + "ab" * 20 + "/\u0663")
def test_an_asset_id_is_canonical_or_an_address_error(text: str) -> None:
    for parse in (parse_asset_id, parse_any_asset_id):
        try:
            asset = parse(text)
        except AddressError as exc:
            one_line(exc)
            continue
        assert asset.isascii() and asset == asset.strip()
        assert parse(asset) == asset
        if asset.startswith("eip155:"):
            assert asset == canonical_eip155(asset), "an eip155 id in a non-canonical form"
