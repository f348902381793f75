-- caisse schema, version 1 (PostgreSQL). Never edit once applied: add a new migration instead.
-- Money is an integer count of the currency's minor unit.

CREATE TABLE shops (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Sips secret keys, one row per version; a version never changes once written. Lyra
-- credentials get their own table in a later migration.
CREATE TABLE sips_keys (
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    key_version INTEGER NOT NULL CHECK (key_version > 0),
    secret      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, key_version)
);

-- s10_transaction_id derives from row_id, drawn from this sequence by the insert itself.
CREATE SEQUENCE transaction_row_ids;

-- Columns hold what is queried or updated; `details` holds the rest as JSON (card summary,
-- authorisation details, order details, source id).
CREATE TABLE transactions (
    row_id              BIGINT PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    shop_id             TEXT NOT NULL REFERENCES shops (id),
    reference           TEXT NOT NULL,
    s10_transaction_id  INTEGER NOT NULL,
    s10_date            DATE NOT NULL,
    kind                TEXT NOT NULL,
    status              TEXT NOT NULL,
    currency            TEXT NOT NULL,
    origin_amount       BIGINT NOT NULL,
    amount              BIGINT NOT NULL,
    refunded_amount     BIGINT NOT NULL,
    capture_mode        TEXT NOT NULL,
    capture_day         SMALLINT NOT NULL,
    capture_date        DATE NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    last_operation      TEXT NOT NULL,
    last_operation_at   TIMESTAMPTZ NOT NULL,
    details             JSONB NOT NULL,
    CHECK (0 <= refunded_amount AND refunded_amount <= amount AND amount <= origin_amount)
);

ALTER SEQUENCE transaction_row_ids OWNED BY transactions.row_id;

CREATE UNIQUE INDEX transactions_shop_reference ON transactions (shop_id, reference);
CREATE INDEX transactions_shop_s10 ON transactions (shop_id, s10_date, s10_transaction_id);
CREATE INDEX transactions_batch ON transactions (status, capture_date);

CREATE TABLE operations (
    row_id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    transaction_id          TEXT NOT NULL REFERENCES transactions (id),
    name                    TEXT NOT NULL,
    amount                  BIGINT NOT NULL CHECK (amount >= 0),
    at                      TIMESTAMPTZ NOT NULL,
    acquirer_response_code  TEXT,
    authorisation_id        TEXT
);

CREATE INDEX operations_transaction ON operations (transaction_id, row_id);

-- The vault: the PAN only as AES-256-GCM ciphertext, the card_id as associated data. The key
-- is never in the database.
CREATE TABLE cards (
    card_id     TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    nonce       BYTEA NOT NULL,
    ciphertext  BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
