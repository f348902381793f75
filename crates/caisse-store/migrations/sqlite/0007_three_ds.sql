-- caisse schema, version 7 (SQLite): 3-D Secure authentications. Never edit once applied: add
-- a new migration instead. Timestamps are RFC 3339 UTC text with microseconds.

-- The authentication a transaction waits on (cardCheckEnrollment): written in the database
-- transaction that creates the transaction. `details` holds its state as JSON (enrolment,
-- the ACS's outcome, the PaRes's use); every change to it runs on the locked row, so the ACS
-- decides once and a PaRes is spent once.
CREATE TABLE three_ds_authentications (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES shops (id),
    transaction_id TEXT NOT NULL UNIQUE REFERENCES transactions (id),
    created_at     TEXT NOT NULL,
    details        TEXT NOT NULL
) STRICT;
