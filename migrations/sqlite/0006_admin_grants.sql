-- Company scopes (company_session, plum_pro_api, xoxo_link) act on a
-- company's money: only an admin of that company grants them, logged in on
-- the authorization pages. Sessions and codes may now belong to an admin
-- instead of a storefront user (exactly one of the two).

CREATE TABLE sessions_new (
    session_hash TEXT PRIMARY KEY,
    user_id BIGINT REFERENCES users (id),
    admin_id BIGINT REFERENCES admins (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CHECK ((user_id IS NULL) <> (admin_id IS NULL))
);
INSERT INTO sessions_new (session_hash, user_id, created_at, expires_at)
    SELECT session_hash, user_id, created_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;

CREATE TABLE auth_codes_new (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (client_id),
    user_id BIGINT REFERENCES users (id),
    admin_id BIGINT REFERENCES admins (id),
    company_id BIGINT NOT NULL REFERENCES companies (id),
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    family_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    CHECK ((user_id IS NULL) <> (admin_id IS NULL))
);
INSERT INTO auth_codes_new (code_hash, client_id, user_id, company_id, redirect_uri, scopes,
        code_challenge, family_id, created_at, expires_at, used_at)
    SELECT code_hash, client_id, user_id, company_id, redirect_uri, scopes,
        code_challenge, family_id, created_at, expires_at, used_at FROM auth_codes;
DROP TABLE auth_codes;
ALTER TABLE auth_codes_new RENAME TO auth_codes;

-- Grants a storefront user made of a company scope break the rule: their
-- tokens are revoked and the consents forgotten.
UPDATE tokens SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE revoked_at IS NULL AND subject LIKE 'user:%'
  AND (' ' || scopes || ' ' LIKE '% company_session %'
    OR ' ' || scopes || ' ' LIKE '% plum_pro_api %'
    OR ' ' || scopes || ' ' LIKE '% xoxo_link %');
DELETE FROM consents
WHERE ' ' || scopes || ' ' LIKE '% company_session %'
   OR ' ' || scopes || ' ' LIKE '% plum_pro_api %'
   OR ' ' || scopes || ' ' LIKE '% xoxo_link %';
