-- caisse schema, version 5 (SQLite): Sips wallets. Never edit once applied: add a new
-- migration instead. Timestamps are RFC 3339 UTC text with microseconds, as in version 1.

-- A shop's wallet, named by the merchant. `next_payment_mean_id` is the rank the next mean
-- gets: bumped in the same statement that finds or creates the wallet, so ranks are never
-- given twice, even to means added at once or after a deletion.
CREATE TABLE wallets (
    shop_id              TEXT NOT NULL REFERENCES shops (id),
    merchant_wallet_id   TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    last_action_at       TEXT NOT NULL,
    next_payment_mean_id INTEGER NOT NULL CHECK (next_payment_mean_id >= 1),
    PRIMARY KEY (shop_id, merchant_wallet_id)
) STRICT;

-- A wallet's means. `fingerprint` is a keyed hash (vault key) of the card number or IBAN:
-- its unique index refuses the same card or account twice in one wallet (responseCode 94)
-- inside the inserting transaction. `details` holds the method as JSON (card summary with its
-- vault entry `cards.card_id`, or SEPA mandate with the masked IBAN).
CREATE TABLE wallet_payment_means (
    shop_id            TEXT NOT NULL,
    merchant_wallet_id TEXT NOT NULL,
    payment_mean_id    INTEGER NOT NULL CHECK (payment_mean_id >= 1),
    fingerprint        TEXT NOT NULL,
    alias              TEXT,
    created_at         TEXT NOT NULL,
    details            TEXT NOT NULL,
    PRIMARY KEY (shop_id, merchant_wallet_id, payment_mean_id),
    FOREIGN KEY (shop_id, merchant_wallet_id) REFERENCES wallets (shop_id, merchant_wallet_id) ON DELETE CASCADE
) STRICT;

CREATE UNIQUE INDEX wallet_payment_means_fingerprint
    ON wallet_payment_means (shop_id, merchant_wallet_id, fingerprint);
