"""The devnet's own protocol stand-ins (Protocols.sol) on a real anvil chain of this module's own:
the committed build matches the source, the events carry mainnet's topics, the numbers add up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError

from chains.devnet.anvil import Anvil
from chains.devnet.scenario import artifact
from chains.devnet.solidity import PROTOCOLS_BUILD, PROTOCOLS_SOURCE, build, compiled
from chains.errors import DevnetError

pytestmark = pytest.mark.devnet

E18 = 10**18
RAY = 10**27
MAX = 2**256 - 1
ZERO = "0x0000000000000000000000000000000000000000"
OZ = "@openzeppelin/contracts/build/contracts/"

# topic0 of the mainnet contracts' events (Lido stETH, Aave v3 Pool and its tokens)
MAINNET_TOPICS = {
    "Submitted": "0x96a25c8ce0baabc1fdefd93e9ed25d8e092a3332f3aa9a41722b5697231d1d1a",
    "TransferShares": "0x9d9c909296d9c674451c0c24f02cb64981eb3b727f99865939192f880a755dcb",
    "Supply": "0x2b627736bca15cd5381dcf80b0bf11fd197d01a037c52b927a881a10fb73ba61",
    "Withdraw": "0x3115d1449a7b732c986cba18244e897a450f61e1bb8d589cd2e69e6c8924f9f7",
    "Borrow": "0xb3d084820fb1a9decffb176436bd02558d15fac9b0ddfed8c465bc7359d7dce0",
    "Repay": "0xa534c8dbe71f871f9f3530e97a74601fea17b426cae02e1c5aee42c96c784051",
    "Mint": "0x458f5fa412d0f69b08dd84872b0215675cc67bc1d5b6fd93300a1c3878b86196",
    "Burn": "0x4cf25bc1d991c17529c25213d3cc0cda295eeaad5f13f361969b12ea48015f90",
}
SIGNATURES = {
    "Submitted": "Submitted(address,uint256,address)",
    "TransferShares": "TransferShares(address,address,uint256)",
    "Supply": "Supply(address,address,address,uint256,uint16)",
    "Withdraw": "Withdraw(address,address,address,uint256)",
    "Borrow": "Borrow(address,address,address,uint256,uint8,uint256,uint16)",
    "Repay": "Repay(address,address,address,uint256,bool)",
    "Mint": "Mint(address,address,uint256,uint256,uint256)",
    "Burn": "Burn(address,address,uint256,uint256,uint256)",
    "Transfer": "Transfer(address,address,uint256)",
    "Approval": "Approval(address,address,uint256)",
    "BalanceTransfer": "BalanceTransfer(address,address,uint256,uint256)",
    "Staked": "Staked(address,uint256)",
    "Withdrawn": "Withdrawn(address,uint256)",
    "RewardPaid": "RewardPaid(address,uint256)",
    "RewardAdded": "RewardAdded(uint256)",
    "Listed": "Listed(uint256,address,address,uint256,uint256,address,uint256)",
    "Sold": "Sold(uint256,address)",
}
TOPICS = {name: HexBytes(Web3.keccak(text=sig)) for name, sig in SIGNATURES.items()}
NAMES = {topic: name for name, topic in TOPICS.items()}


class Chain:
    """Sends and checks transactions; deploys this file's contracts and OpenZeppelin's."""

    def __init__(self, url: str) -> None:
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        (self.owner, self.alice, self.bob, self.carol, self.dave,
         *_) = self.w3.eth.accounts

    def send(self, call: Any, sender: str, value: int = 0) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            call.transact({"from": sender, "value": value}))
        assert receipt["status"] == 1
        return receipt

    def pay(self, sender: str, to: str, value: int) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_transaction({"from": sender, "to": to, "value": value}))
        assert receipt["status"] == 1
        return receipt

    def _deploy(self, abi: list[Any], bytecode: str, *args: Any) -> Any:
        receipt = self.send(self.w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args),
                            self.owner)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=abi)

    def protocol(self, name: str, *args: Any) -> Any:
        return self._deploy(*compiled(name), *args)

    def oz(self, name: str, *args: Any) -> Any:
        return self._deploy(*artifact(f"{OZ}{name}.json"), *args)

    def eth(self, who: str) -> int:
        return int(self.w3.eth.get_balance(who))  # type: ignore[arg-type]

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def timestamp(self, receipt: Any) -> int:
        return int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with Anvil(genesis_timestamp=int(datetime(2025, 3, 1, tzinfo=UTC).timestamp())) as node:
        yield Chain(node.url)


def sequence(receipt: Any) -> list[str]:
    """The receipt's events by name, read from topic0 alone (as a decoder of mainnet logs)."""
    return [NAMES.get(HexBytes(log["topics"][0]), "?") for log in receipt["logs"]]


def events(receipt: Any, contract: Any, name: str) -> list[Any]:
    """`contract`'s `name` events in the receipt, found by the topic0 the mainnet contracts use."""
    logs = [log for log in receipt["logs"]
            if log["address"] == contract.address and HexBytes(log["topics"][0]) == TOPICS[name]]
    return [contract.events[name]().process_log(log)["args"] for log in logs]


def one(receipt: Any, contract: Any, name: str) -> Any:
    found = events(receipt, contract, name)
    assert len(found) == 1, f"{len(found)} {name} events from {contract.address}"
    return found[0]


# --- the committed build ------------------------------------------------------------------

def test_the_committed_build_is_a_fresh_compile_of_the_source(tmp_path: Path) -> None:
    fresh = tmp_path / "Protocols.json"
    build(PROTOCOLS_SOURCE, fresh)
    assert fresh.read_bytes() == PROTOCOLS_BUILD.read_bytes(), \
        "Protocols.json is stale: run `make contracts` and commit it"
    build(PROTOCOLS_SOURCE, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == fresh.read_bytes()


def test_the_build_holds_the_deployable_contracts_only() -> None:
    for name in ("StakedEther", "WrappedStakedEther", "StakingRewards", "LendingPool",
                 "AToken", "VariableDebtToken", "NftMarket"):
        abi, bytecode = compiled(name)
        assert abi and bytecode.startswith("0x60")
    for name in ("IERC20", "ScaledBalanceToken"):
        with pytest.raises(DevnetError, match=f"no contract '{name}'"):
            compiled(name)


def test_a_missing_or_broken_build_is_a_devnet_error(tmp_path: Path) -> None:
    with pytest.raises(DevnetError, match="cannot read the compiled contracts"):
        compiled("StakedEther", tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(DevnetError, match="not valid JSON"):
        compiled("StakedEther", broken)
    broken.write_text('{"StakedEther": {"abi": [], "bytecode": ""}}')
    with pytest.raises(DevnetError, match=r"'StakedEther'.*no usable abi and bytecode"):
        compiled("StakedEther", broken)
    with pytest.raises(DevnetError, match=r"no contract 'Lido'.*it has: StakedEther"):
        compiled("Lido", broken)


def test_the_signatures_are_the_mainnet_topics_with_the_mainnet_indexed_arguments() -> None:
    for name, topic in MAINNET_TOPICS.items():
        assert TOPICS[name] == HexBytes(topic), name
    indexed = {
        ("StakedEther", "Submitted"): ["sender"],
        ("StakedEther", "TransferShares"): ["from", "to"],
        ("LendingPool", "Supply"): ["reserve", "onBehalfOf", "referralCode"],
        ("LendingPool", "Withdraw"): ["reserve", "user", "to"],
        ("LendingPool", "Borrow"): ["reserve", "onBehalfOf", "referralCode"],
        ("LendingPool", "Repay"): ["reserve", "user", "repayer"],
        ("AToken", "Mint"): ["caller", "onBehalfOf"],
        ("AToken", "Burn"): ["from", "target"],
        ("VariableDebtToken", "Mint"): ["caller", "onBehalfOf"],
        ("VariableDebtToken", "Burn"): ["from", "target"],
        ("StakingRewards", "Staked"): ["user"],
        ("StakingRewards", "RewardPaid"): ["user"],
    }
    for (contract, name), expected in indexed.items():
        [event] = [e for e in compiled(contract)[0]
                   if e["type"] == "event" and e["name"] == name]
        signature = f"{name}({','.join(i['type'] for i in event['inputs'])})"
        assert signature == SIGNATURES[name], contract
        assert [i["name"] for i in event["inputs"] if i["indexed"]] == expected, contract


# --- Lido ---------------------------------------------------------------------------------

def test_steth_mints_shares_and_rebases_without_a_transfer(chain: Chain) -> None:
    steth = chain.protocol("StakedEther")
    assert (steth.functions.name().call(), steth.functions.symbol().call(),
            steth.functions.decimals().call()) == ("Liquid staked Ether", "stETH", 18)

    staked = chain.send(steth.functions.submit(chain.carol), chain.alice, 10 * E18)
    assert sequence(staked) == ["Submitted", "Transfer", "TransferShares"]
    assert dict(one(staked, steth, "Submitted")) == {
        "sender": chain.alice, "amount": 10 * E18, "referral": chain.carol}
    assert dict(one(staked, steth, "Transfer")) == {
        "from": ZERO, "to": chain.alice, "value": 10 * E18}
    assert dict(one(staked, steth, "TransferShares")) == {
        "from": ZERO, "to": chain.alice, "sharesValue": 10 * E18}

    received = chain.pay(chain.bob, steth.address, 5 * E18)  # receive(): referral 0
    assert one(received, steth, "Submitted")["referral"] == ZERO
    assert steth.functions.sharesOf(chain.bob).call() == 5 * E18

    rebased = chain.send(steth.functions.rebase(18 * E18), chain.owner)  # +20% rewards
    assert rebased["logs"] == []
    assert steth.functions.balanceOf(chain.alice).call() == 12 * E18
    assert steth.functions.balanceOf(chain.bob).call() == 6 * E18
    assert steth.functions.sharesOf(chain.alice).call() == 10 * E18
    assert steth.functions.totalSupply().call() == 18 * E18
    assert steth.functions.getPooledEthByShares(5 * E18).call() == 6 * E18
    assert steth.functions.getSharesByPooledEth(6 * E18).call() == 5 * E18
    with pytest.raises(ContractLogicError, match="not the owner"):
        steth.functions.rebase(100 * E18).transact({"from": chain.alice})

    moved = chain.send(steth.functions.transfer(chain.dave, 6 * E18), chain.alice)
    assert sequence(moved) == ["Transfer", "TransferShares"]
    assert one(moved, steth, "Transfer")["value"] == 6 * E18
    assert dict(one(moved, steth, "TransferShares")) == {
        "from": chain.alice, "to": chain.dave, "sharesValue": 5 * E18}
    assert steth.functions.balanceOf(chain.dave).call() == 6 * E18

    chain.send(steth.functions.approve(chain.bob, 4 * E18), chain.dave)
    pulled = chain.send(steth.functions.transferFrom(chain.dave, chain.carol, 3 * E18), chain.bob)
    assert dict(one(pulled, steth, "TransferShares")) == {
        "from": chain.dave, "to": chain.carol, "sharesValue": 25 * E18 // 10}
    assert steth.functions.allowance(chain.dave, chain.bob).call() == E18
    assert steth.functions.balanceOf(chain.carol).call() == 3 * E18


def test_wsteth_wraps_unwraps_and_stakes_ether_sent_to_it(chain: Chain) -> None:
    steth = chain.protocol("StakedEther")
    wsteth = chain.protocol("WrappedStakedEther", steth.address)
    assert (wsteth.functions.name().call(), wsteth.functions.symbol().call(),
            wsteth.functions.decimals().call()) == ("Wrapped liquid staked Ether", "wstETH", 18)
    chain.send(steth.functions.submit(ZERO), chain.alice, 10 * E18)
    chain.send(steth.functions.rebase(125 * E18 // 10), chain.owner)  # 1.25 stETH a share

    chain.send(steth.functions.approve(wsteth.address, 5 * E18), chain.alice)
    assert wsteth.functions.wrap(5 * E18).call({"from": chain.alice}) == 4 * E18
    wrapped = chain.send(wsteth.functions.wrap(5 * E18), chain.alice)
    assert dict(one(wrapped, steth, "TransferShares")) == {
        "from": chain.alice, "to": wsteth.address, "sharesValue": 4 * E18}
    assert dict(one(wrapped, steth, "Transfer")) == {
        "from": chain.alice, "to": wsteth.address, "value": 5 * E18}
    assert dict(one(wrapped, wsteth, "Transfer")) == {
        "from": ZERO, "to": chain.alice, "value": 4 * E18}
    assert wsteth.functions.balanceOf(chain.alice).call() == 4 * E18
    assert steth.functions.sharesOf(chain.alice).call() == 6 * E18

    chain.send(steth.functions.rebase(15 * E18), chain.owner)  # 1.5 stETH a share
    assert wsteth.functions.getStETHByWstETH(4 * E18).call() == 6 * E18
    assert wsteth.functions.unwrap(4 * E18).call({"from": chain.alice}) == 6 * E18
    unwrapped = chain.send(wsteth.functions.unwrap(4 * E18), chain.alice)
    assert dict(one(unwrapped, wsteth, "Transfer")) == {
        "from": chain.alice, "to": ZERO, "value": 4 * E18}
    assert dict(one(unwrapped, steth, "TransferShares")) == {
        "from": wsteth.address, "to": chain.alice, "sharesValue": 4 * E18}
    assert one(unwrapped, steth, "Transfer")["value"] == 6 * E18
    assert steth.functions.sharesOf(chain.alice).call() == 10 * E18  # all shares back
    assert steth.functions.balanceOf(chain.alice).call() == 15 * E18
    assert wsteth.functions.totalSupply().call() == 0

    staked = chain.pay(chain.bob, wsteth.address, 3 * E18)
    assert dict(one(staked, steth, "Submitted")) == {
        "sender": wsteth.address, "amount": 3 * E18, "referral": ZERO}
    assert dict(one(staked, wsteth, "Transfer")) == {
        "from": ZERO, "to": chain.bob, "value": 2 * E18}
    assert wsteth.functions.balanceOf(chain.bob).call() == 2 * E18
    assert steth.functions.sharesOf(wsteth.address).call() == 2 * E18

    sent = chain.send(wsteth.functions.transfer(chain.carol, E18), chain.bob)
    assert dict(one(sent, wsteth, "Transfer")) == {"from": chain.bob, "to": chain.carol,
                                                   "value": E18}


# --- Synthetix ----------------------------------------------------------------------------

def test_staking_rewards_pays_what_accrued(chain: Chain) -> None:
    stake_token = chain.oz("ERC20PresetMinterPauser", "Uniswap V2", "UNI-V2")
    reward_token = chain.oz("ERC20PresetMinterPauser", "Reward", "RWD")
    farm = chain.protocol("StakingRewards", reward_token.address, stake_token.address)
    assert farm.functions.rewardsDuration().call() == 7 * 86400
    reward = 7 * 86400 * E18  # one token a second
    chain.send(reward_token.functions.mint(farm.address, reward), chain.owner)
    with pytest.raises(ContractLogicError, match="not the owner"):
        farm.functions.notifyRewardAmount(reward).transact({"from": chain.alice})
    added = chain.send(farm.functions.notifyRewardAmount(reward), chain.owner)
    assert one(added, farm, "RewardAdded")["reward"] == reward
    assert farm.functions.rewardRate().call() == E18

    chain.send(stake_token.functions.mint(chain.alice, 100 * E18), chain.owner)
    chain.send(stake_token.functions.approve(farm.address, 100 * E18), chain.alice)
    staked = chain.send(farm.functions.stake(100 * E18), chain.alice)
    assert dict(one(staked, farm, "Staked")) == {"user": chain.alice, "amount": 100 * E18}
    assert stake_token.functions.balanceOf(farm.address).call() == 100 * E18

    chain.advance(86400)
    mined = chain.w3.eth.get_block("latest")
    elapsed = int(mined["timestamp"]) - chain.timestamp(staked)
    assert elapsed >= 86400
    assert farm.functions.earned(chain.alice).call() == elapsed * E18

    paid = chain.send(farm.functions.getReward(), chain.alice)
    got = reward_token.functions.balanceOf(chain.alice).call()
    assert got == (chain.timestamp(paid) - chain.timestamp(staked)) * E18
    assert dict(one(paid, farm, "RewardPaid")) == {"user": chain.alice, "reward": got}
    assert farm.functions.earned(chain.alice).call() == 0

    chain.advance(3600)
    left = chain.send(farm.functions.exit(), chain.alice)
    assert sequence(left) == ["Transfer", "Withdrawn", "Transfer", "RewardPaid"]
    assert dict(one(left, farm, "Withdrawn")) == {"user": chain.alice, "amount": 100 * E18}
    more = one(left, farm, "RewardPaid")["reward"]
    assert more == (chain.timestamp(left) - chain.timestamp(paid)) * E18
    assert reward_token.functions.balanceOf(chain.alice).call() == got + more
    assert stake_token.functions.balanceOf(chain.alice).call() == 100 * E18


# --- Aave v3 ------------------------------------------------------------------------------

def reserve(chain: Chain) -> SimpleNamespace:
    dai = chain.oz("ERC20PresetMinterPauser", "Dai Stablecoin", "DAI")
    pool = chain.protocol("LendingPool")
    a = chain.protocol("AToken", pool.address, dai.address, "Aave Ethereum DAI", "aEthDAI")
    debt = chain.protocol("VariableDebtToken", pool.address, dai.address,
                          "Aave Ethereum Variable Debt DAI", "variableDebtEthDAI")
    chain.send(pool.functions.initReserve(dai.address, a.address, debt.address), chain.owner)
    for who in (chain.owner, chain.alice, chain.bob):
        chain.send(dai.functions.mint(who, 10_000 * E18), chain.owner)
        chain.send(dai.functions.approve(pool.address, MAX), who)
    return SimpleNamespace(dai=dai, pool=pool, a=a, debt=debt)


def dai(chain: Chain, r: SimpleNamespace, who: str) -> int:
    return int(r.dai.functions.balanceOf(who).call())


def test_lending_supply_borrow_accrue_repay_and_withdraw_all(chain: Chain) -> None:
    r = reserve(chain)
    assert (r.a.functions.name().call(), r.a.functions.symbol().call(),
            r.a.functions.decimals().call()) == ("Aave Ethereum DAI", "aEthDAI", 18)
    with pytest.raises(ContractLogicError, match="not the owner"):
        r.pool.functions.accrue(r.dai.address, 2 * RAY, 2 * RAY).transact({"from": chain.bob})

    supplied = chain.send(r.pool.functions.supply(r.dai.address, 1000 * E18, chain.alice, 7),
                          chain.alice)
    assert sequence(supplied) == ["Transfer", "Transfer", "Mint", "Supply"]
    assert dict(one(supplied, r.pool, "Supply")) == {
        "reserve": r.dai.address, "user": chain.alice, "onBehalfOf": chain.alice,
        "amount": 1000 * E18, "referralCode": 7}
    assert dict(one(supplied, r.a, "Mint")) == {
        "caller": chain.alice, "onBehalfOf": chain.alice, "value": 1000 * E18,
        "balanceIncrease": 0, "index": RAY}
    assert dict(one(supplied, r.a, "Transfer")) == {
        "from": ZERO, "to": chain.alice, "value": 1000 * E18}
    assert r.a.functions.balanceOf(chain.alice).call() == 1000 * E18
    assert dai(chain, r, r.a.address) == 1000 * E18

    with pytest.raises(ContractLogicError, match="only the variable rate"):
        r.pool.functions.borrow(r.dai.address, E18, 1, 0, chain.bob).transact({"from": chain.bob})
    bob_before = dai(chain, r, chain.bob)
    borrowed = chain.send(r.pool.functions.borrow(r.dai.address, 400 * E18, 2, 3, chain.bob),
                          chain.bob)
    assert sequence(borrowed) == ["Transfer", "Mint", "Transfer", "Borrow"]
    assert dict(one(borrowed, r.pool, "Borrow")) == {
        "reserve": r.dai.address, "user": chain.bob, "onBehalfOf": chain.bob,
        "amount": 400 * E18, "interestRateMode": 2, "borrowRate": 0, "referralCode": 3}
    assert dict(one(borrowed, r.debt, "Mint")) == {
        "caller": chain.bob, "onBehalfOf": chain.bob, "value": 400 * E18,
        "balanceIncrease": 0, "index": RAY}
    assert r.debt.functions.balanceOf(chain.bob).call() == 400 * E18
    assert dai(chain, r, chain.bob) == bob_before + 400 * E18

    # interest: +5% to depositors, +10% on debt; the owner sends the aToken the depositors' gain
    chain.send(r.pool.functions.accrue(r.dai.address, RAY * 105 // 100, RAY * 110 // 100),
               chain.owner)
    chain.send(r.dai.functions.transfer(r.a.address, 50 * E18), chain.owner)
    assert r.a.functions.balanceOf(chain.alice).call() == 1050 * E18
    assert r.debt.functions.balanceOf(chain.bob).call() == 440 * E18

    assert r.pool.functions.repay(r.dai.address, MAX, 2, chain.bob).call(
        {"from": chain.bob}) == 440 * E18
    bob_before = dai(chain, r, chain.bob)
    repaid = chain.send(r.pool.functions.repay(r.dai.address, MAX, 2, chain.bob), chain.bob)
    assert sequence(repaid) == ["Transfer", "Burn", "Transfer", "Repay"]
    assert dict(one(repaid, r.pool, "Repay")) == {
        "reserve": r.dai.address, "user": chain.bob, "repayer": chain.bob,
        "amount": 440 * E18, "useATokens": False}
    assert dict(one(repaid, r.debt, "Burn")) == {
        "from": chain.bob, "target": ZERO, "value": 400 * E18,
        "balanceIncrease": 40 * E18, "index": RAY * 110 // 100}
    assert dict(one(repaid, r.debt, "Transfer")) == {
        "from": chain.bob, "to": ZERO, "value": 400 * E18}
    assert dai(chain, r, chain.bob) == bob_before - 440 * E18
    assert r.debt.functions.balanceOf(chain.bob).call() == 0

    assert r.pool.functions.withdraw(r.dai.address, MAX, chain.carol).call(
        {"from": chain.alice}) == 1050 * E18
    withdrawn = chain.send(r.pool.functions.withdraw(r.dai.address, MAX, chain.carol),
                           chain.alice)
    assert sequence(withdrawn) == ["Transfer", "Burn", "Transfer", "Withdraw"]
    assert dict(one(withdrawn, r.pool, "Withdraw")) == {
        "reserve": r.dai.address, "user": chain.alice, "to": chain.carol,
        "amount": 1050 * E18}
    assert dict(one(withdrawn, r.a, "Burn")) == {
        "from": chain.alice, "target": chain.carol, "value": 1000 * E18,
        "balanceIncrease": 50 * E18, "index": RAY * 105 // 100}
    assert dict(one(withdrawn, r.dai, "Transfer")) == {
        "from": r.a.address, "to": chain.carol, "value": 1050 * E18}
    assert dai(chain, r, chain.carol) == 1050 * E18
    assert r.a.functions.balanceOf(chain.alice).call() == 0
    assert r.a.functions.scaledBalanceOf(chain.alice).call() == 0
    assert dai(chain, r, r.a.address) == (1000 - 400 + 50 + 440 - 1050) * E18


def test_atoken_interest_is_announced_on_the_next_burn_mint_or_transfer(chain: Chain) -> None:
    r = reserve(chain)
    chain.send(r.pool.functions.supply(r.dai.address, 1000 * E18, chain.alice, 0), chain.alice)
    chain.send(r.pool.functions.accrue(r.dai.address, RAY * 12 // 10, RAY), chain.owner)
    chain.send(r.dai.functions.transfer(r.a.address, 1000 * E18), chain.owner)

    # 200 of interest, 60 withdrawn: the burn shows as a mint of the 140 difference
    small = chain.send(r.pool.functions.withdraw(r.dai.address, 60 * E18, chain.alice),
                       chain.alice)
    assert sequence(small) == ["Transfer", "Mint", "Transfer", "Withdraw"]
    assert dict(one(small, r.a, "Transfer")) == {
        "from": ZERO, "to": chain.alice, "value": 140 * E18}
    assert dict(one(small, r.a, "Mint")) == {
        "caller": chain.alice, "onBehalfOf": chain.alice, "value": 140 * E18,
        "balanceIncrease": 200 * E18, "index": RAY * 12 // 10}
    assert events(small, r.a, "Burn") == []
    assert r.a.functions.balanceOf(chain.alice).call() == 1140 * E18
    assert r.a.functions.getPreviousIndex(chain.alice).call() == RAY * 12 // 10

    # a supply after interest: value = amount + the interest since the last action
    chain.send(r.pool.functions.accrue(r.dai.address, RAY * 15 // 10, RAY), chain.owner)
    again = chain.send(r.pool.functions.supply(r.dai.address, 150 * E18, chain.alice, 0),
                       chain.alice)
    assert dict(one(again, r.a, "Mint")) == {
        "caller": chain.alice, "onBehalfOf": chain.alice, "value": 435 * E18,
        "balanceIncrease": 285 * E18, "index": RAY * 15 // 10}
    assert one(again, r.a, "Transfer")["value"] == 435 * E18
    assert r.a.functions.balanceOf(chain.alice).call() == 1575 * E18

    # a transfer announces the sender's interest first, then moves the balance amount
    chain.send(r.pool.functions.accrue(r.dai.address, RAY * 16 // 10, RAY), chain.owner)
    sent = chain.send(r.a.functions.transfer(chain.dave, 80 * E18), chain.alice)
    assert sequence(sent) == ["Transfer", "Mint", "Transfer", "BalanceTransfer"]
    assert dict(one(sent, r.a, "Mint")) == {
        "caller": chain.alice, "onBehalfOf": chain.alice, "value": 105 * E18,
        "balanceIncrease": 105 * E18, "index": RAY * 16 // 10}
    assert [dict(t) for t in events(sent, r.a, "Transfer")] == [
        {"from": ZERO, "to": chain.alice, "value": 105 * E18},
        {"from": chain.alice, "to": chain.dave, "value": 80 * E18}]
    assert dict(one(sent, r.a, "BalanceTransfer")) == {
        "from": chain.alice, "to": chain.dave, "value": 50 * E18, "index": RAY * 16 // 10}
    assert r.a.functions.balanceOf(chain.dave).call() == 80 * E18
    assert r.a.functions.balanceOf(chain.alice).call() == 1600 * E18

    # supplying for someone else: the caller pays, onBehalfOf gets the aTokens
    gift = chain.send(r.pool.functions.supply(r.dai.address, 10 * E18, chain.dave, 0), chain.bob)
    assert dict(one(gift, r.pool, "Supply"))["user"] == chain.bob
    assert dict(one(gift, r.a, "Mint")) == {
        "caller": chain.bob, "onBehalfOf": chain.dave, "value": 10 * E18,
        "balanceIncrease": 0, "index": RAY * 16 // 10}
    assert r.a.functions.balanceOf(chain.dave).call() == 90 * E18
    assert r.a.functions.balanceOf(chain.bob).call() == 0


# --- NFT market ---------------------------------------------------------------------------

def test_nft_market_swaps_in_one_transaction(chain: Chain) -> None:
    seller, buyer = chain.carol, chain.dave
    market = chain.protocol("NftMarket")
    apes = chain.oz("ERC721PresetMinterPauserAutoId", "Devnet Apes", "DAPE", "ipfs://apes/")
    items = chain.oz("ERC1155PresetMinterPauser", "ipfs://items/{id}.json")
    usdc = chain.oz("ERC20PresetMinterPauser", "USD Coin", "USDC")
    chain.send(apes.functions.mint(seller), chain.owner)  # token 0
    chain.send(apes.functions.mint(seller), chain.owner)  # token 1
    chain.send(items.functions.mint(seller, 7, 10, b""), chain.owner)
    chain.send(usdc.functions.mint(buyer, 1000 * E18), chain.owner)
    chain.send(usdc.functions.approve(market.address, MAX), buyer)
    for nft in (apes, items):
        chain.send(nft.functions.setApprovalForAll(market.address, True), seller)

    with pytest.raises(ContractLogicError, match="not the owner"):
        market.functions.list721(apes.address, 0, ZERO, E18).transact({"from": buyer})
    listed = chain.send(market.functions.list721(apes.address, 0, ZERO, E18), seller)
    assert dict(one(listed, market, "Listed")) == {
        "id": 1, "seller": seller, "nft": apes.address, "tokenId": 0, "amount": 1,
        "payToken": ZERO, "price": E18}
    with pytest.raises(ContractLogicError, match="wrong ether amount"):
        market.functions.buy(1).transact({"from": buyer, "value": E18 // 2})
    seller_eth, buyer_eth = chain.eth(seller), chain.eth(buyer)
    bought = chain.send(market.functions.buy(1), buyer, E18)
    assert sequence(bought) == ["Transfer", "Sold"]  # the ether moves as an internal call
    assert dict(one(bought, apes, "Transfer")) == {"from": seller, "to": buyer, "tokenId": 0}
    assert dict(one(bought, market, "Sold")) == {"id": 1, "buyer": buyer}
    assert apes.functions.ownerOf(0).call() == buyer
    assert chain.eth(seller) == seller_eth + E18
    gas = bought["gasUsed"] * bought["effectiveGasPrice"]
    assert chain.eth(buyer) == buyer_eth - E18 - gas
    with pytest.raises(ContractLogicError, match="already sold"):
        market.functions.buy(1).transact({"from": buyer, "value": E18})

    chain.send(market.functions.list721(apes.address, 1, usdc.address, 250 * E18), seller)
    with pytest.raises(ContractLogicError, match="priced in a token"):
        market.functions.buy(2).transact({"from": buyer, "value": E18})
    bought = chain.send(market.functions.buy(2), buyer)
    assert sequence(bought) == ["Transfer", "Transfer", "Sold"]
    assert dict(one(bought, usdc, "Transfer")) == {
        "from": buyer, "to": seller, "value": 250 * E18}
    assert apes.functions.ownerOf(1).call() == buyer
    assert usdc.functions.balanceOf(seller).call() == 250 * E18
    assert usdc.functions.balanceOf(buyer).call() == 750 * E18

    listed = chain.send(market.functions.list1155(items.address, 7, 4, usdc.address, 30 * E18),
                        seller)
    assert dict(one(listed, market, "Listed"))["amount"] == 4
    bought = chain.send(market.functions.buy(3), buyer)
    assert dict(one(bought, market, "Sold")) == {"id": 3, "buyer": buyer}
    assert items.functions.balanceOf(seller, 7).call() == 6
    assert items.functions.balanceOf(buyer, 7).call() == 4
    assert usdc.functions.balanceOf(seller).call() == 280 * E18
    assert usdc.functions.balanceOf(buyer).call() == 720 * E18
    assert items.functions.balanceOf(market.address, 7).call() == 0  # never held
    assert chain.eth(market.address) == 0
