-- Sign-ups waiting for their e-mail address to be confirmed. The sign-up
-- page answers "check your e-mail" whether or not the address has an
-- account, so it tells nobody which addresses do; the account is made when
-- the link in the e-mail is followed. The token is stored hashed.
CREATE TABLE signup_confirmations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    return_query TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX signup_confirmations_expiry ON signup_confirmations (expires_at);
