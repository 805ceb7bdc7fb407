-- A deleted app keeps its row (tokens and the audit trail refer to it) but
-- no longer authenticates or appears anywhere.
ALTER TABLE clients ADD COLUMN deleted_at BIGINT;
