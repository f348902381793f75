-- caisse schema, version 10 (SQLite): Form API hosted payment page sessions.
-- Never edit once applied: add a new migration instead. Timestamps are RFC 3339 UTC text.

-- An accepted form waiting for the buyer's card. `payment`: what the core authorises (JSON);
-- `request`: the adapter's record of the form (JSON). PAID sessions name their transaction.
CREATE TABLE payment_sessions (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    mode            TEXT NOT NULL CHECK (mode IN ('TEST', 'PRODUCTION')),
    payment         TEXT NOT NULL,
    request         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('OPEN', 'PAID', 'ABANDONED')),
    transaction_id  TEXT REFERENCES transactions (id),
    finished_at     TEXT,
    CHECK ((status = 'PAID') = (transaction_id IS NOT NULL))
) STRICT;
