-- taxscan's database. Raw records as the chain gave them, then the per-leg ledger.
-- Amounts in base units are text (a uint256 can exceed HUGEINT); quantities and USD are DECIMAL.
-- Timestamps are UTC.

CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS wallets (
    chain_id BIGINT NOT NULL,
    address VARCHAR NOT NULL,
    label VARCHAR,
    PRIMARY KEY (chain_id, address)
);
ALTER TABLE wallets ADD COLUMN IF NOT EXISTS label VARCHAR;

CREATE TABLE IF NOT EXISTS cursors (
    chain_id BIGINT NOT NULL,
    wallet VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    last_block BIGINT NOT NULL,
    address_index VARCHAR,
    PRIMARY KEY (chain_id, wallet, source)
);

CREATE TABLE IF NOT EXISTS raw_txs (
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR NOT NULL,
    block_number BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    from_address VARCHAR NOT NULL,
    to_address VARCHAR,
    value VARCHAR NOT NULL,
    gas_used VARCHAR NOT NULL,
    effective_gas_price VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    PRIMARY KEY (chain_id, tx_hash)
);
-- the L1 data fee of a rollup's receipt (OP-stack chains, Scroll), part of the fee; NULL in
-- rows stored before taxscan kept it (read as none: a re-scan from their block fills it)
ALTER TABLE raw_txs ADD COLUMN IF NOT EXISTS l1_fee VARCHAR;

CREATE TABLE IF NOT EXISTS raw_logs (
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR NOT NULL,
    log_index INTEGER NOT NULL,
    address VARCHAR NOT NULL,
    topics VARCHAR[] NOT NULL,
    data VARCHAR NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, log_index)
);

CREATE TABLE IF NOT EXISTS raw_internal (
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR NOT NULL,
    trace_address VARCHAR NOT NULL,
    from_address VARCHAR NOT NULL,
    to_address VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, trace_address)
);

CREATE TABLE IF NOT EXISTS wallet_txs (
    chain_id BIGINT NOT NULL,
    wallet VARCHAR NOT NULL,
    tx_hash VARCHAR NOT NULL,
    PRIMARY KEY (chain_id, wallet, tx_hash)
);

CREATE TABLE IF NOT EXISTS tokens (
    chain_id BIGINT NOT NULL,
    address VARCHAR NOT NULL,
    symbol VARCHAR,
    name VARCHAR,
    decimals INTEGER,
    PRIMARY KEY (chain_id, address)
);

-- every judged token's verdict; is_spam: treated as spam (the user's mark, else the score)
CREATE TABLE IF NOT EXISTS spam (
    asset VARCHAR PRIMARY KEY,
    score INTEGER NOT NULL,
    reasons VARCHAR NOT NULL,
    is_spam BOOLEAN DEFAULT true
);
-- older files kept only the spam tokens' verdicts
ALTER TABLE spam ADD COLUMN IF NOT EXISTS is_spam BOOLEAN DEFAULT true;
-- what it was judged on (scanner.ledger.spam.SpamFacts), to judge it again; older files
-- kept none (solicited NULL)
ALTER TABLE spam ADD COLUMN IF NOT EXISTS solicited BOOLEAN;
ALTER TABLE spam ADD COLUMN IF NOT EXISTS fan_out_tx VARCHAR;
ALTER TABLE spam ADD COLUMN IF NOT EXISTS fan_out_recipients INTEGER;
ALTER TABLE spam ADD COLUMN IF NOT EXISTS claimed VARCHAR;

-- the user's word on a token, over its score: spam true (spam) or false (not spam)
CREATE TABLE IF NOT EXISTS spam_marks (
    asset VARCHAR PRIMARY KEY,
    spam BOOLEAN NOT NULL,
    marked_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS ledger (
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR NOT NULL,
    leg_key VARCHAR NOT NULL,
    wallet VARCHAR NOT NULL,
    log_index INTEGER,
    block_number BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    protocol VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    symbol VARCHAR,
    raw_amount VARCHAR NOT NULL,
    decimals INTEGER NOT NULL,
    quantity DECIMAL(38, 18),
    usd_value DECIMAL(38, 10),
    price_source VARCHAR,
    counterparty VARCHAR,
    group_id VARCHAR NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, leg_key, wallet)
);

CREATE TABLE IF NOT EXISTS prices (
    asset VARCHAR NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    usd DECIMAL(38, 18) NOT NULL,
    source VARCHAR NOT NULL,
    PRIMARY KEY (asset, timestamp, source)
);
ALTER TABLE prices ADD COLUMN IF NOT EXISTS confidence DECIMAL(18, 6);

-- reference exchange rates the user imported: units of `currency` one USD bought that day
CREATE TABLE IF NOT EXISTS fx_rates (
    day DATE NOT NULL,
    currency VARCHAR NOT NULL,
    per_usd DECIMAL(38, 18) NOT NULL,
    PRIMARY KEY (day, currency)
);

-- (asset, moment) pairs a source was asked for and had no price: not asked again
CREATE TABLE IF NOT EXISTS price_misses (
    asset VARCHAR NOT NULL,
    requested TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    PRIMARY KEY (asset, requested, source)
);

CREATE TABLE IF NOT EXISTS lots (
    lot_id VARCHAR NOT NULL,
    wallet VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    symbol VARCHAR,
    acquired TIMESTAMP NOT NULL,
    quantity DECIMAL(38, 18),
    cost_basis_usd DECIMAL(38, 10),
    origin_tx VARCHAR NOT NULL,
    origin_leg VARCHAR NOT NULL,
    origin_kind VARCHAR NOT NULL,
    method VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS disposals (
    wallet VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    symbol VARCHAR,
    quantity DECIMAL(38, 18),
    acquired TIMESTAMP,
    disposed TIMESTAMP NOT NULL,
    proceeds_usd DECIMAL(38, 10),
    cost_basis_usd DECIMAL(38, 10),
    term VARCHAR,
    tx_hash VARCHAR NOT NULL,
    lot_id VARCHAR,
    kind VARCHAR NOT NULL,
    method VARCHAR NOT NULL
);

ALTER TABLE disposals ADD COLUMN IF NOT EXISTS rule VARCHAR;
ALTER TABLE disposals ADD COLUMN IF NOT EXISTS disallowed_loss_usd DECIMAL(38, 10);

-- legs imported from files (off-chain trades, an exported ledger): joined to the ledger.
-- (chain_id, tx_hash, leg_key, wallet) is a leg's key, one row each: its writers keep it so
-- (a primary key's index cost a million-leg import a second; an older one is dropped)
CREATE TABLE IF NOT EXISTS imported_ledger (
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR NOT NULL,
    leg_key VARCHAR NOT NULL,
    wallet VARCHAR NOT NULL,
    log_index INTEGER,
    block_number BIGINT NOT NULL,
    tx_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    protocol VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    symbol VARCHAR,
    raw_amount VARCHAR NOT NULL,
    decimals INTEGER NOT NULL,
    quantity DECIMAL(38, 18),
    usd_value DECIMAL(38, 10),
    price_source VARCHAR,
    counterparty VARCHAR,
    group_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL
);
-- usd_given: the file gave the leg's USD value, which stays; taxscan values the other legs,
-- again at every rebuild. Legs imported before this column hold only their files' values.
ALTER TABLE imported_ledger ADD COLUMN IF NOT EXISTS usd_given BOOLEAN;
UPDATE imported_ledger SET usd_given = usd_value IS NOT NULL WHERE usd_given IS NULL;

-- a recorded allocation of universal lots to wallets (Rev. Proc. 2024-28 safe harbor)
CREATE TABLE IF NOT EXISTS basis_allocations (
    as_of TIMESTAMP NOT NULL,
    wallet VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    symbol VARCHAR,
    lot_id VARCHAR NOT NULL,
    acquired TIMESTAMP NOT NULL,
    quantity DECIMAL(38, 18) NOT NULL,
    cost_basis_usd DECIMAL(38, 10),
    recorded_at TIMESTAMP NOT NULL
);

-- a wallet's balance of a rebasing token (its growth has no Transfer event) at the end of a
-- block, as the chain's balanceOf said: the ledger books the growth between two of them
CREATE TABLE IF NOT EXISTS balance_snapshots (
    chain_id BIGINT NOT NULL,
    wallet VARCHAR NOT NULL,
    token VARCHAR NOT NULL,
    block_number BIGINT NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    raw_balance VARCHAR NOT NULL,
    PRIMARY KEY (chain_id, wallet, token, block_number)
);

-- the hash of each block a reorg could still replace (the blocks of a chain's cursors and
-- stored transactions within its confirmation margin): the next scan checks them first
CREATE TABLE IF NOT EXISTS block_hashes (
    chain_id BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash VARCHAR NOT NULL,
    PRIMARY KEY (chain_id, block_number)
);

-- the ledger as the stored lots were last computed from it (store/changes.py): each leg's
-- key, group, asset, kind and moment, and a hash of its row; empty until the first
-- computation of the lots writes it (meta `lots_ledger`)
CREATE TABLE IF NOT EXISTS lots_ledger (
    chain_id BIGINT,
    tx_hash VARCHAR,
    leg_key VARCHAR,
    wallet VARCHAR,
    group_id VARCHAR,
    asset VARCHAR,
    kind VARCHAR,
    protocol VARCHAR,
    timestamp TIMESTAMP,
    row_hash UBIGINT
);
-- and a hash of what pairing reads of the leg (the review's fingerprint of the transfers)
ALTER TABLE lots_ledger ADD COLUMN IF NOT EXISTS pair_hash UBIGINT;

-- the lot engine's state at the end of the ledger the stored lots were computed from
-- (scanner/tax/checkpoint.py, store/state.py): its open lots in their pools (`pool`: the
-- pool's wallet, '' in a universal year) or on their way between own wallets (`transit_*`),
-- and each wallet's holding, quantities and bases exact as text; its moment and counters
-- in meta `lot_state`
CREATE TABLE IF NOT EXISTS lot_state (
    pool VARCHAR,
    transit_a VARCHAR,
    transit_b VARCHAR,
    arrival BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    lot_id VARCHAR NOT NULL,
    wallet VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    symbol VARCHAR,
    acquired TIMESTAMP NOT NULL,
    quantity VARCHAR NOT NULL,
    basis VARCHAR,
    origin_tx VARCHAR NOT NULL,
    origin_leg VARCHAR NOT NULL,
    origin_kind VARCHAR NOT NULL
);
-- an open lot's quantity and basis as the lots table holds them: its rows are copied from
-- the state's (a state kept before these columns is dropped: the next rebuild keeps one)
ALTER TABLE lot_state ADD COLUMN IF NOT EXISTS lot_quantity DECIMAL(38, 18);
ALTER TABLE lot_state ADD COLUMN IF NOT EXISTS lot_basis DECIMAL(38, 10);

CREATE TABLE IF NOT EXISTS lot_state_held (
    wallet VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    quantity VARCHAR NOT NULL
);

-- the keys of the legs pairing left unpaired (the review's arrivals from outside and
-- departures through a bridge), as of the transfers whose fingerprint meta
-- `review_unpaired` holds
CREATE TABLE IF NOT EXISTS review_unpaired (
    chain_id BIGINT,
    tx_hash VARCHAR,
    leg_key VARCHAR,
    wallet VARCHAR
);
