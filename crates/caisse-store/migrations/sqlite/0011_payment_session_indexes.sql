-- caisse schema, version 11 (SQLite): indexes of the hosted payment page sessions.
-- Never edit once applied: add a new migration instead.

-- The sweeper's query: open sessions past their expiry, oldest first.
CREATE INDEX payment_sessions_open_expiry ON payment_sessions (expires_at) WHERE status = 'OPEN';
-- A transaction's session (its form, for notifications of later operations).
CREATE INDEX payment_sessions_transaction ON payment_sessions (transaction_id) WHERE transaction_id IS NOT NULL;
