-- Secret keys the server signs with (CSRF tokens), made once by the first
-- node that starts and shared by every node through the database.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
