"""Wallet addresses and CAIP identifiers."""

from __future__ import annotations

import re

from chains.errors import AddressError

_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_PRIVATE_KEY = re.compile(r"^(?:0x)?[0-9a-fA-F]{64}$")
_EXTENDED_KEY = re.compile(r"^[xyzt]prv[1-9A-HJ-NP-Za-km-z]{100,}$")  # BIP32 xprv...
_MNEMONIC_LENGTHS = frozenset({12, 15, 18, 21, 24})
SECRET_REFUSAL = ("this looks like a private key; taxscan needs only public addresses "
                  "(0x and 40 hex digits), never a key")


def looks_like_secret(text: str) -> bool:
    """Whether `text` looks like a private key: 64 hex digits (with or without 0x), a BIP32
    extended private key, or a BIP39 mnemonic of 12 to 24 words."""
    candidate = text.strip()
    if _PRIVATE_KEY.match(candidate) or _EXTENDED_KEY.match(candidate):
        return True
    words = re.split(r"[\s,]+", candidate)
    return len(words) in _MNEMONIC_LENGTHS and all(w.isascii() and w.isalpha() for w in words)


def parse_address(text: str) -> str:
    """A user-given EVM address, checked, as lowercase hex.

    All-lowercase and all-uppercase hex are accepted; mixed case must be a valid EIP-55
    checksum, since a wrong one usually means a mistyped character. Something that looks
    like a private key is refused without being repeated in the message.
    """
    candidate = text.strip()
    if looks_like_secret(candidate):
        raise AddressError(SECRET_REFUSAL)
    if not _HEX_ADDRESS.match(candidate):
        # a long one may be a key with a typo: say how long, not what
        shown = repr(candidate) if len(candidate) <= 44 else f"{len(candidate)} characters"
        raise AddressError(f"not an EVM address (0x and 40 hex digits): {shown}")
    digits = candidate[2:]
    mixed_case = digits != digits.lower() and digits != digits.upper()
    if mixed_case and checksum(candidate.lower()) != candidate:
        raise AddressError(
            f"address checksum is wrong (mistyped?): {candidate}; "
            f"a valid one would be {checksum(candidate.lower())}"
        )
    return "0x" + digits.lower()


def checksum(address: str) -> str:
    """The EIP-55 spelling of an address."""
    from eth_utils.address import to_checksum_address  # eth_utils: on use, not at start

    return str(to_checksum_address(address))


def erc20_asset(chain_id: int, token: str) -> str:
    return f"eip155:{chain_id}/erc20:{token.lower()}"


def nft_asset(chain_id: int, standard: str, token: str, token_id: int) -> str:
    return f"eip155:{chain_id}/{standard}:{token.lower()}/{token_id}"


def native_asset(chain_id: int, slip44: int) -> str:
    return f"eip155:{chain_id}/slip44:{slip44}"


# numbers in ASCII digits without leading zeros: one asset, one id ("eip155:01/..." and
# full-width digits would be other assets to every lookup)
_NUMBER = r"(?:0|[1-9][0-9]*)"
_ASSET_ID = re.compile(
    rf"eip155:{_NUMBER}/(?:slip44:{_NUMBER}|erc20:0x[0-9a-f]{{40}}"
    rf"|(?:erc721|erc1155):0x[0-9a-f]{{40}}/{_NUMBER})"
)


def parse_asset_id(text: str) -> str:
    """A CAIP-19 asset id as taxscan writes it (lowercase), or AddressError."""
    candidate = text.strip().lower()
    if not _ASSET_ID.fullmatch(candidate):
        raise AddressError(
            f"not a CAIP-19 asset id such as eip155:1/erc20:0x… or eip155:1/slip44:60: {text!r}"
        )
    return candidate


_ANY_ASSET_ID = re.compile(
    r"[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}/[-a-z0-9]{3,8}:[-.%a-zA-Z0-9]{1,128}"
    r"(?:/[-.%a-zA-Z0-9]{1,78})?"
)


def parse_any_asset_id(text: str) -> str:
    """A CAIP-19 asset id of any namespace, or AddressError: eip155 ids as parse_asset_id
    reads them (lowercase); others keep their case (Solana references are case-sensitive)."""
    candidate = text.strip()
    if candidate.lower().startswith("eip155:"):
        return parse_asset_id(candidate)
    if not _ANY_ASSET_ID.fullmatch(candidate):
        raise AddressError(
            f"not a CAIP-19 asset id such as bip122:000000000019d6689c085ae165831e93/slip44:0 "
            f"or eip155:1/slip44:60: {text!r}"
        )
    return candidate


def asset_chain_id(asset: str) -> int:
    """The EVM chain id of an eip155 asset; 0 for an asset of another namespace (bip122,
    solana...), which lives on no EVM chain."""
    namespace, _, reference = asset.split("/", 1)[0].partition(":")
    return int(reference) if namespace == "eip155" else 0


def asset_contract(asset: str) -> str | None:
    """The token contract of an eip155 erc20/erc721/erc1155 asset id; None for a native
    coin or an asset of another namespace."""
    if not asset.startswith("eip155:"):
        return None
    _, _, rest = asset.partition("/")
    standard, _, tail = rest.partition(":")
    return None if standard == "slip44" else tail.partition("/")[0]
