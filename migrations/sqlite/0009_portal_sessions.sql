-- The admin portal's sessions end after 30 minutes without a request (and
-- 12 hours after log-in in any case): the last request's time is kept.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
CREATE INDEX sessions_admin ON sessions (admin_id);
