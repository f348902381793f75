-- caisse schema, version 10 (PostgreSQL): Form API hosted payment page sessions.
-- Never edit once applied: add a new migration instead.

-- An accepted form waiting for the buyer's card. `payment`: what the core authorises (JSON);
-- `request`: the adapter's record of the form (JSON). PAID sessions name their transaction.
CREATE TABLE payment_sessions (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    mode            TEXT NOT NULL CHECK (mode IN ('TEST', 'PRODUCTION')),
    payment         TEXT NOT NULL,
    request         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('OPEN', 'PAID', 'ABANDONED')),
    transaction_id  TEXT REFERENCES transactions (id),
    finished_at     TIMESTAMPTZ,
    CHECK ((status = 'PAID') = (transaction_id IS NOT NULL))
);
