-- caisse schema, version 3 (PostgreSQL): Sogecommerce (Lyra) REST V4. Never edit once
-- applied: add a new migration instead.

-- REST V4 `orderId`, copied out of `details` so that an order's transactions are found by
-- index (Order/Get). Rows written before this migration get it from their JSON. Only
-- transactions with an order id are indexed: those without one cost an insert nothing more.
ALTER TABLE transactions ADD COLUMN order_id TEXT;
UPDATE transactions SET order_id = details -> 'order' ->> 'order_id'
    WHERE details -> 'order' ->> 'order_id' IS NOT NULL;
CREATE INDEX transactions_shop_order ON transactions (shop_id, order_id) WHERE order_id IS NOT NULL;

-- A Lyra shop's REST V4 credentials: one password (HTTP Basic) and one HMAC-SHA-256 key
-- (kr-hash) per mode.
CREATE TABLE lyra_credentials (
    shop_id             TEXT PRIMARY KEY REFERENCES shops (id),
    test_password       TEXT NOT NULL,
    production_password TEXT NOT NULL,
    test_hmac_key       TEXT NOT NULL,
    production_hmac_key TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Payment method tokens. `details` holds the rest as JSON (method: card summary or SEPA
-- mandate, mode, initial_issuer_transaction_identifier, customer). A card token's PAN is the
-- vault entry `cards.card_id` its method names.
CREATE TABLE tokens (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    status          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    cancelled_at    TIMESTAMPTZ,
    details         JSONB NOT NULL
);

-- Hosted-page sessions (formToken).
CREATE TABLE payment_forms (
    form_token      TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    mode            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    currency        TEXT NOT NULL,
    request         JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    consumed_at     TIMESTAMPTZ
);

-- Subscriptions: their ids are the shop's. `details` holds what is never queried on
-- (amounts, rule, counters…). The scheduler reads due ones, oldest first, from `subscriptions_due`.
CREATE TABLE subscriptions (
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    id              TEXT NOT NULL,
    token_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    next_due_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    details         JSONB NOT NULL,
    PRIMARY KEY (shop_id, id)
);

CREATE INDEX subscriptions_due ON subscriptions (status, next_due_at, shop_id, id);
