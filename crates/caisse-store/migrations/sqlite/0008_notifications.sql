-- caisse schema, version 8 (SQLite): instant payment notifications (IPN). Never edit once
-- applied: add a new migration instead. Timestamps are RFC 3339 UTC text with microseconds.

-- The outbox. A payment inserts its notifications in its own database transaction; the
-- notifier claims due rows (`lease_until`: a claim that outlives its sender expires), posts
-- `body` (the signed form fields, a JSON array of [name, value] pairs, in order) and writes
-- the outcome. `next_attempt_at` is NULL once DELIVERED or FAILED.
CREATE TABLE notifications (
    id                TEXT PRIMARY KEY,
    shop_id           TEXT NOT NULL REFERENCES shops (id),
    mode              TEXT NOT NULL,
    rule              TEXT NOT NULL,
    url               TEXT NOT NULL,
    body              TEXT NOT NULL,
    transaction_id    TEXT,
    reference         TEXT,
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL,
    replays           INTEGER NOT NULL,
    manual            INTEGER NOT NULL,
    next_attempt_at   TEXT,
    lease_until       TEXT,
    last_http_status  INTEGER,
    last_error        TEXT,
    created_at        TEXT NOT NULL,
    delivered_at      TEXT
) STRICT;

CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX notifications_shop ON notifications (shop_id, id);

-- A shop's notification rules: one URL per mode, failure e-mail addresses `;`-separated.
CREATE TABLE notification_rules (
    shop_id            TEXT PRIMARY KEY REFERENCES shops (id),
    end_of_payment     INTEGER NOT NULL,
    cancel_or_abandon  INTEGER NOT NULL,
    later_operations   INTEGER NOT NULL,
    replay             INTEGER NOT NULL,
    test_url           TEXT,
    production_url     TEXT,
    failure_emails     TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;

-- The preloaded Sogecommerce shops: "end of payment" on, replayed, no URL until set.
INSERT INTO notification_rules (shop_id, end_of_payment, cancel_or_abandon, later_operations, replay,
    test_url, production_url, failure_emails, updated_at)
SELECT id, 1, 0, 0, 1, NULL, NULL, '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM shops WHERE id IN ('69876357', '61881992', '12345678');
