-- name: insert_wallet
INSERT INTO wallets VALUES (?, ?, ?)
ON CONFLICT (chain_id, address) DO UPDATE SET label = coalesce(excluded.label, wallets.label);

-- name: wallets
SELECT address FROM wallets WHERE chain_id = ? ORDER BY address;

-- name: all_wallets
SELECT chain_id, address FROM wallets ORDER BY chain_id, address;

-- name: get_cursor
SELECT last_block, address_index FROM cursors WHERE chain_id = ? AND wallet = ? AND source = ?;

-- name: set_cursor
INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?, ?);

-- name: insert_raw_tx
INSERT OR REPLACE INTO raw_txs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: insert_raw_log
INSERT OR REPLACE INTO raw_logs VALUES (?, ?, ?, ?, ?, ?);

-- name: insert_raw_logs
-- the columns as lists, the topics of a log joined by commas (a list of lists binds slowly)
INSERT OR REPLACE INTO raw_logs
SELECT c, h, i, a, CASE WHEN t = '' THEN []::VARCHAR[] ELSE string_split(t, ',') END, d
FROM (SELECT unnest(?) AS c, unnest(?) AS h, unnest(?) AS i, unnest(?) AS a, unnest(?) AS t,
             unnest(?) AS d);

-- name: insert_raw_internal
INSERT OR REPLACE INTO raw_internal VALUES (?, ?, ?, ?, ?, ?);

-- name: insert_wallet_tx
INSERT OR IGNORE INTO wallet_txs VALUES (?, ?, ?);

-- name: raw_txs_of_chain
SELECT tx_hash, block_number, tx_index, timestamp, from_address, to_address, value, gas_used,
       effective_gas_price, success, coalesce(l1_fee, '0')
FROM raw_txs
WHERE chain_id = ? AND tx_hash IN (SELECT tx_hash FROM wallet_txs WHERE chain_id = ?)
ORDER BY block_number, tx_index;

-- name: raw_txs_after
SELECT tx_hash, block_number, tx_index, timestamp, from_address, to_address, value, gas_used,
       effective_gas_price, success, coalesce(l1_fee, '0')
FROM raw_txs
WHERE chain_id = ? AND tx_hash IN (SELECT tx_hash FROM wallet_txs WHERE chain_id = ?)
  AND (block_number > ? OR (block_number = ? AND tx_index > ?))
ORDER BY block_number, tx_index;

-- name: raw_logs_after
SELECT l.tx_hash, l.log_index, l.address, l.topics, l.data
FROM raw_logs l JOIN raw_txs t USING (chain_id, tx_hash)
WHERE l.chain_id = ? AND (t.block_number > ? OR (t.block_number = ? AND t.tx_index > ?))
ORDER BY l.tx_hash, l.log_index;

-- name: raw_internal_after
SELECT i.tx_hash, i.trace_address, i.from_address, i.to_address, i.value
FROM raw_internal i JOIN raw_txs t USING (chain_id, tx_hash)
WHERE i.chain_id = ? AND (t.block_number > ? OR (t.block_number = ? AND t.tx_index > ?))
ORDER BY i.tx_hash, i.trace_address;

-- name: raw_txs_in
SELECT tx_hash, block_number, tx_index, timestamp, from_address, to_address, value, gas_used,
       effective_gas_price, success, coalesce(l1_fee, '0')
FROM raw_txs
WHERE chain_id = ? AND tx_hash IN (SELECT tx_hash FROM wallet_txs WHERE chain_id = ?)
  AND tx_hash IN (SELECT unnest(?))
ORDER BY block_number, tx_index;

-- name: raw_logs_in
SELECT tx_hash, log_index, address, topics, data FROM raw_logs
WHERE chain_id = ? AND tx_hash IN (SELECT unnest(?)) ORDER BY tx_hash, log_index;

-- name: raw_internal_in
SELECT tx_hash, trace_address, from_address, to_address, value FROM raw_internal
WHERE chain_id = ? AND tx_hash IN (SELECT unnest(?)) ORDER BY tx_hash, trace_address;

-- name: raw_txs_without_l1_fee
SELECT tx_hash FROM raw_txs WHERE chain_id = ? AND l1_fee IS NULL ORDER BY tx_hash;

-- name: set_l1_fee
UPDATE raw_txs SET l1_fee = ? WHERE chain_id = ? AND tx_hash = ?;

-- name: raw_logs_of_chain
SELECT tx_hash, log_index, address, topics, data FROM raw_logs WHERE chain_id = ?
ORDER BY tx_hash, log_index;

-- name: raw_internal_of_chain
SELECT tx_hash, trace_address, from_address, to_address, value FROM raw_internal
WHERE chain_id = ? ORDER BY tx_hash, trace_address;

-- name: insert_token
INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?);

-- name: tokens_of_chain
SELECT address, symbol, name, decimals FROM tokens WHERE chain_id = ?;

-- name: clear_spam_of_chain
DELETE FROM spam WHERE asset LIKE ?;

-- name: insert_spam
INSERT OR REPLACE INTO spam (asset, score, reasons, is_spam, solicited, fan_out_tx,
                             fan_out_recipients, claimed) VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: spam
SELECT asset, score, reasons FROM spam WHERE is_spam ORDER BY asset;

-- name: spam_verdicts
SELECT s.asset, (SELECT min(l.symbol) FROM ledger l WHERE l.asset = s.asset), s.score,
       s.reasons, s.is_spam, m.spam
FROM spam s LEFT JOIN spam_marks m ON m.asset = s.asset
WHERE s.is_spam OR ?
ORDER BY s.is_spam DESC, s.score DESC, s.asset;

-- name: spam_marks
SELECT asset, spam FROM spam_marks ORDER BY asset;

-- name: set_spam_mark
INSERT OR REPLACE INTO spam_marks (asset, spam, marked_at) VALUES (?, ?, now());

-- name: clear_spam_mark
DELETE FROM spam_marks WHERE asset = ?;

-- name: ledger_assets_among
SELECT asset FROM ledger WHERE asset IN (SELECT unnest(?))
UNION
SELECT asset FROM imported_ledger WHERE asset IN (SELECT unnest(?));

-- name: clear_ledger_of_chain
DELETE FROM ledger WHERE chain_id = ?;

-- name: clear_imported_keys
DELETE FROM imported_ledger i
USING (SELECT unnest(?) AS chain_id, unnest(?) AS tx_hash, unnest(?) AS leg_key,
              unnest(?) AS wallet) k
WHERE i.chain_id = k.chain_id AND i.tx_hash = k.tx_hash AND i.leg_key = k.leg_key
      AND i.wallet = k.wallet;

-- name: insert_imported
INSERT INTO imported_ledger
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: imported_legs
SELECT chain_id, tx_hash, leg_key, log_index, block_number, tx_index,
       epoch_us(timestamp) AS timestamp, wallet, kind, protocol, asset, symbol, raw_amount,
       decimals, counterparty, group_id,
       CAST(usd_value AS VARCHAR) AS usd_value, price_source, usd_given
FROM imported_ledger
ORDER BY timestamp, chain_id, block_number, tx_index, group_id, log_index NULLS FIRST, leg_key;

-- name: imported_legs_to_value
SELECT chain_id, tx_hash, leg_key, log_index, block_number, tx_index,
       epoch_us(timestamp) AS timestamp, wallet, kind, protocol, asset, symbol, raw_amount,
       decimals, counterparty, group_id,
       CAST(usd_value AS VARCHAR) AS usd_value, price_source, usd_given
FROM imported_ledger
WHERE group_id IN (SELECT group_id FROM imported_ledger WHERE NOT usd_given)
ORDER BY timestamp, chain_id, block_number, tx_index, group_id, log_index NULLS FIRST, leg_key;

-- name: stage_imported_values
CREATE OR REPLACE TEMP TABLE imported_values (chain_id BIGINT, tx_hash VARCHAR,
    leg_key VARCHAR, wallet VARCHAR, usd_value DECIMAL(38, 10), price_source VARCHAR);

-- name: insert_imported_value
INSERT INTO imported_values VALUES (?, ?, ?, ?, ?, ?);

-- name: apply_imported_values
UPDATE imported_ledger i SET usd_value = v.usd_value, price_source = v.price_source
FROM imported_values v
WHERE i.chain_id = v.chain_id AND i.tx_hash = v.tx_hash AND i.leg_key = v.leg_key
  AND i.wallet = v.wallet AND NOT i.usd_given;

-- name: drop_imported_values
DROP TABLE imported_values;

-- name: clear_imported_source
DELETE FROM imported_ledger WHERE source = ?;

-- name: insert_ledger_csv_asset
INSERT INTO ledger_csv_assets VALUES (?, ?);

-- name: count_imported
SELECT count(*) FROM imported_ledger;

-- name: staged_symbols
SELECT upper(l.symbol) FROM ledger_csv_legs l JOIN ledger_csv_assets a ON a.text = l.asset
WHERE starts_with(a.id, ?) AND l.symbol <> ''
GROUP BY upper(l.symbol) ORDER BY min(l.rowid);

-- name: imported_chain_ids
SELECT DISTINCT chain_id FROM imported_ledger ORDER BY chain_id;

-- name: clear_basis_allocations
DELETE FROM basis_allocations;

-- name: insert_basis_allocation
INSERT INTO basis_allocations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: basis_allocations
SELECT as_of, wallet, asset, symbol, lot_id, acquired, quantity, cost_basis_usd, recorded_at
FROM basis_allocations ORDER BY as_of, asset, wallet, acquired, lot_id;

-- name: set_valuation
UPDATE ledger SET usd_value = ?, price_source = ?
WHERE chain_id = ? AND tx_hash = ? AND leg_key = ? AND wallet = ?;

-- name: insert_price
INSERT OR REPLACE INTO prices (asset, timestamp, usd, source, confidence)
VALUES (?, ?, ?, ?, ?);

-- name: insert_price_miss
INSERT OR IGNORE INTO price_misses VALUES (?, ?, ?);

-- name: price_misses
SELECT asset, requested, source FROM price_misses;

-- name: prices
SELECT asset, timestamp, usd, source FROM prices;

-- name: insert_fx_rate
INSERT OR REPLACE INTO fx_rates (day, currency, per_usd) VALUES (?, ?, ?);

-- name: fx_rates
SELECT day, currency, per_usd FROM fx_rates ORDER BY currency, day;

-- name: clear_lots
DELETE FROM lots;

-- name: clear_disposals
DELETE FROM disposals;

-- name: count_rows
SELECT (SELECT count(*) FROM raw_txs), (SELECT count(*) FROM raw_logs),
       (SELECT count(*) FROM ledger), (SELECT count(*) FROM prices);

-- name: get_meta
SELECT value FROM meta WHERE key = ?;

-- name: set_meta
INSERT OR REPLACE INTO meta VALUES (?, ?);

-- name: review_counts
SELECT (SELECT count(*) FROM ledger WHERE kind NOT IN ('spam', 'debt') AND usd_value IS NULL)
       + (SELECT count(*) FROM imported_ledger i
          WHERE kind NOT IN ('spam', 'debt') AND usd_value IS NULL
            AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.chain_id = i.chain_id
                            AND l.tx_hash = i.tx_hash AND l.leg_key = i.leg_key
                            AND l.wallet = i.wallet)),
       (SELECT count(*) FROM spam WHERE is_spam),
       (SELECT count(*) FROM disposals WHERE lot_id IS NULL),
       (SELECT count(*) FROM tokens WHERE decimals IS NULL
          AND 'eip155:' || chain_id || '/erc20:' || address IN (SELECT asset FROM ledger));

-- name: wallet_cursor
SELECT max(last_block) FROM cursors WHERE chain_id = ? AND wallet = ?;

-- name: token_transfer_blocks
SELECT DISTINCT l.address, t.block_number
FROM raw_logs l JOIN raw_txs t ON t.chain_id = l.chain_id AND t.tx_hash = l.tx_hash
WHERE l.chain_id = ? AND t.success AND l.address IN (SELECT unnest(?))
  AND len(l.topics) = 3 AND l.topics[1] = ? AND (l.topics[2] = ? OR l.topics[3] = ?)
ORDER BY l.address, t.block_number;

-- name: insert_balance_snapshot
INSERT OR IGNORE INTO balance_snapshots VALUES (?, ?, ?, ?, ?, ?);

-- name: snapshot_blocks
SELECT token, block_number FROM balance_snapshots WHERE chain_id = ? AND wallet = ?;

-- name: balance_snapshots_of_chain
SELECT wallet, token, block_number, timestamp, raw_balance FROM balance_snapshots
WHERE chain_id = ? ORDER BY wallet, token, block_number;

-- name: block_hashes_of_chain
SELECT block_number, block_hash FROM block_hashes WHERE chain_id = ? ORDER BY block_number;

-- name: insert_block_hash
INSERT OR REPLACE INTO block_hashes VALUES (?, ?, ?);

-- name: prune_block_hashes
DELETE FROM block_hashes WHERE chain_id = ? AND block_number < ?;

-- name: rewind_logs
DELETE FROM raw_logs WHERE chain_id = ? AND tx_hash IN
    (SELECT tx_hash FROM raw_txs WHERE chain_id = ? AND block_number > ?);

-- name: rewind_internal
DELETE FROM raw_internal WHERE chain_id = ? AND tx_hash IN
    (SELECT tx_hash FROM raw_txs WHERE chain_id = ? AND block_number > ?);

-- name: rewind_wallet_txs
DELETE FROM wallet_txs WHERE chain_id = ? AND tx_hash IN
    (SELECT tx_hash FROM raw_txs WHERE chain_id = ? AND block_number > ?);

-- name: rewind_txs
DELETE FROM raw_txs WHERE chain_id = ? AND block_number > ?;

-- name: rewind_snapshots
DELETE FROM balance_snapshots WHERE chain_id = ? AND block_number > ?;

-- name: rewind_ledger
DELETE FROM ledger WHERE chain_id = ? AND block_number > ?;

-- name: rewind_block_hashes
DELETE FROM block_hashes WHERE chain_id = ? AND block_number > ?;

-- name: rewind_cursors
UPDATE cursors SET last_block = ? WHERE chain_id = ? AND last_block > ?;
