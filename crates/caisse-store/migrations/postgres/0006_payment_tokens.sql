-- caisse schema, version 6 (PostgreSQL): Sips hosted-fields payment tokens. Never edit once
-- applied: add a new migration instead.

-- A single-use stand-in for a card (paymentTokenGenerate, the hosted-fields page). `card_id`
-- is the card's vault entry, the generating shop's; `details` its masked summary (JSON).
-- `consumed_at` is set, only while it is NULL, in the database transaction that records the
-- payment spending the token: the UPDATE locks the row, so two payments racing for it, even
-- from two caisse processes, cannot both succeed.
CREATE TABLE card_payment_tokens (
    id               TEXT PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    consumer_shop_id TEXT NOT NULL REFERENCES shops (id),
    card_id          TEXT NOT NULL REFERENCES cards (card_id),
    origin           TEXT NOT NULL,
    details          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    consumed_at      TIMESTAMPTZ,
    transaction_id   TEXT
);
