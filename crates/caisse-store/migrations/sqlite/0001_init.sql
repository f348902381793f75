-- caisse schema, version 1 (SQLite). Never edit once applied: add a new migration instead.
-- Timestamps are RFC 3339 UTC text with microseconds (2026-11-28T14:21:00.123456Z), dates are
-- YYYY-MM-DD, money is an integer count of the currency's minor unit.

CREATE TABLE shops (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- Sips secret keys, one row per version; a version never changes once written. Lyra
-- credentials get their own table in a later migration.
CREATE TABLE sips_keys (
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    key_version INTEGER NOT NULL CHECK (key_version > 0),
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (shop_id, key_version)
) STRICT;

-- row_id is assigned by caisse's single writer; s10_transaction_id derives from it.
-- Columns hold what is queried or updated; `details` holds the rest as JSON (card summary,
-- authorisation details, order details, source id).
CREATE TABLE transactions (
    row_id              INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    shop_id             TEXT NOT NULL REFERENCES shops (id),
    reference           TEXT NOT NULL,
    s10_transaction_id  INTEGER NOT NULL,
    s10_date            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    status              TEXT NOT NULL,
    currency            TEXT NOT NULL,
    origin_amount       INTEGER NOT NULL,
    amount              INTEGER NOT NULL,
    refunded_amount     INTEGER NOT NULL,
    capture_mode        TEXT NOT NULL,
    capture_day         INTEGER NOT NULL,
    capture_date        TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    last_operation      TEXT NOT NULL,
    last_operation_at   TEXT NOT NULL,
    details             TEXT NOT NULL,
    CHECK (0 <= refunded_amount AND refunded_amount <= amount AND amount <= origin_amount)
) STRICT;

CREATE UNIQUE INDEX transactions_shop_reference ON transactions (shop_id, reference);
CREATE INDEX transactions_shop_s10 ON transactions (shop_id, s10_date, s10_transaction_id);
CREATE INDEX transactions_batch ON transactions (status, capture_date);

CREATE TABLE operations (
    row_id                  INTEGER PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    transaction_id          TEXT NOT NULL REFERENCES transactions (id),
    name                    TEXT NOT NULL,
    amount                  INTEGER NOT NULL CHECK (amount >= 0),
    at                      TEXT NOT NULL,
    acquirer_response_code  TEXT,
    authorisation_id        TEXT
) STRICT;

CREATE INDEX operations_transaction ON operations (transaction_id, row_id);

-- The vault: the PAN only as AES-256-GCM ciphertext, the card_id as associated data. The key
-- is never in the database.
CREATE TABLE cards (
    card_id     TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
