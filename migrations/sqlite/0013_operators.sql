-- People the server's operator names (galley operator add) to review
-- public apps on the operator pages, and their browser sessions (stored as
-- the SHA-256 of the cookie, like the others, in a table of their own: an
-- operator belongs to no company).
CREATE TABLE operators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE operator_sessions (
    session_hash TEXT PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
