-- caisse schema, version 9 (SQLite): Form API V2 (the hosted payment page's signed form).
-- Never edit once applied: add a new migration instead. Timestamps are RFC 3339 UTC text.

-- A shop's form settings: one key per mode (NULL: forms of that mode are refused), the
-- signature algorithm, the warning e-mail addresses (`;`-separated).
CREATE TABLE form_settings (
    shop_id         TEXT PRIMARY KEY REFERENCES shops (id),
    test_key        TEXT,
    production_key  TEXT,
    algorithm       TEXT NOT NULL CHECK (algorithm IN ('HMAC_SHA_256', 'SHA_1')),
    warning_emails  TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- `vads_trans_id`s taken: unique per shop per UTC day (`YYYY-MM-DD`), whatever the case.
CREATE TABLE form_trans_ids (
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    utc_day      TEXT NOT NULL,
    trans_id     TEXT NOT NULL,
    reserved_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX form_trans_ids_key ON form_trans_ids (shop_id, utc_day, lower(trans_id));

-- PROTOCOLS.md §3's example shop, so that its signature vector works end to end.
INSERT INTO shops (id, name, created_at)
VALUES ('12345678', 'Form API test shop', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (id) DO NOTHING;

INSERT INTO form_settings (shop_id, test_key, production_key, algorithm, warning_emails, updated_at)
VALUES ('12345678', '1122334455667788', NULL, 'HMAC_SHA_256', '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (shop_id) DO NOTHING;

-- The preloaded REST V4 shops sign forms with their REST HMAC keys.
INSERT INTO form_settings (shop_id, test_key, production_key, algorithm, warning_emails, updated_at)
SELECT shop_id, test_hmac_key, production_hmac_key, 'HMAC_SHA_256', '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM lyra_credentials WHERE shop_id IN ('69876357', '61881992')
ON CONFLICT (shop_id) DO NOTHING;

-- Its notification rules, as the other preloaded Sogecommerce shops' (migration 8).
INSERT INTO notification_rules (shop_id, end_of_payment, cancel_or_abandon, later_operations, replay,
    test_url, production_url, failure_emails, updated_at)
VALUES ('12345678', 1, 0, 0, 1, NULL, NULL, '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (shop_id) DO NOTHING;
