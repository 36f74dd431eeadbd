"""The ABI as taxscan reads it: the event topics and function selectors it uses on every
token, the zero address, and 32-byte words. Protocol events live with their decoders."""

from __future__ import annotations

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SINGLE = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
TRANSFER_BATCH = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"

SEL_DECIMALS = "0x313ce567"  # decimals()
SEL_SYMBOL = "0x95d89b41"  # symbol()
SEL_NAME = "0x06fdde03"  # name()
SEL_BALANCE_OF = "0x70a08231"  # balanceOf(address)
SEL_OWNER_OF = "0x6352211e"  # ownerOf(uint256)
SEL_BALANCE_OF_1155 = "0x00fdd58e"  # balanceOf(address,uint256)
SEL_POSITIONS = "0x99fbab88"  # positions(uint256): a Uniswap V3 position's 12 words
SEL_GET_PAIR = "0xe6a43905"  # getPair(address,address)
SEL_GET_RESERVES = "0x0902f1ac"  # getReserves()
SEL_TOKEN0 = "0x0dfe1681"  # token0()

ZERO_ADDRESS = "0x" + "00" * 20
ADDRESS_PAD = "0" * 24  # the hex digits before an address in its word


def word(value: int | str) -> str:
    """A 32-byte word in 64 hex digits without 0x: a number, or an address left-padded."""
    if isinstance(value, str):
        return value.lower().removeprefix("0x").rjust(64, "0")
    return format(value, "064x")


def topic_for(address: str) -> str:
    """The topic an event indexes `address` as."""
    return "0x" + word(address)


def topic_address(topic: str) -> str | None:
    """The address in an indexed address topic, or None when the word is not one."""
    body = topic.removeprefix("0x")
    if len(body) != 64 or body[:24].strip("0"):
        return None
    return "0x" + body[24:]


def word_address(value: int) -> str | None:
    """The address in a data word (an address ABI-encoded), or None when it holds more."""
    return None if value >> 160 else "0x" + format(value, "040x")


def data_words(data: str) -> list[int] | None:
    """The 32-byte words of a log's data, or None when it is not whole words of hex."""
    body = data.removeprefix("0x")
    if len(body) % 64:
        return None
    try:
        return [int(body[i : i + 64], 16) for i in range(0, len(body), 64)]
    except ValueError:
        return None
