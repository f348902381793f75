-- caisse schema, version 3 (SQLite): Sogecommerce (Lyra) REST V4. Never edit once applied: add
-- a new migration instead. Timestamps are RFC 3339 UTC text with microseconds, as in version 1.

-- REST V4 `orderId`, copied out of `details` so that an order's transactions are found by
-- index (Order/Get). Rows written before this migration get it from their JSON. Only
-- transactions with an order id are indexed: those without one cost an insert nothing more.
ALTER TABLE transactions ADD COLUMN order_id TEXT;
UPDATE transactions SET order_id = json_extract(details, '$.order.order_id')
    WHERE json_extract(details, '$.order.order_id') IS NOT NULL;
CREATE INDEX transactions_shop_order ON transactions (shop_id, order_id) WHERE order_id IS NOT NULL;

-- A Lyra shop's REST V4 credentials: one password (HTTP Basic) and one HMAC-SHA-256 key
-- (kr-hash) per mode.
CREATE TABLE lyra_credentials (
    shop_id             TEXT PRIMARY KEY REFERENCES shops (id),
    test_password       TEXT NOT NULL,
    production_password TEXT NOT NULL,
    test_hmac_key       TEXT NOT NULL,
    production_hmac_key TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

-- Payment method tokens. `details` holds the rest as JSON (method: card summary or SEPA
-- mandate, mode, initial_issuer_transaction_identifier, customer). A card token's PAN is the
-- vault entry `cards.card_id` its method names.
CREATE TABLE tokens (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    cancelled_at    TEXT,
    details         TEXT NOT NULL
) STRICT;

-- Hosted-page sessions (formToken).
CREATE TABLE payment_forms (
    form_token      TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    mode            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    currency        TEXT NOT NULL,
    request         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    consumed_at     TEXT
) STRICT;

-- Subscriptions: their ids are the shop's. `details` holds what is never queried on
-- (amounts, rule, counters…). The scheduler reads due ones, oldest first, from `subscriptions_due`.
CREATE TABLE subscriptions (
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    id              TEXT NOT NULL,
    token_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    next_due_at     TEXT,
    created_at      TEXT NOT NULL,
    details         TEXT NOT NULL,
    PRIMARY KEY (shop_id, id)
) STRICT;

CREATE INDEX subscriptions_due ON subscriptions (status, next_due_at, shop_id, id);
