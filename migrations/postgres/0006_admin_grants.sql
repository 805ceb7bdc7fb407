-- Company scopes (company_session, plum_pro_api, xoxo_link) act on a
-- company's money: only an admin of that company grants them, logged in on
-- the authorization pages. Sessions and codes may now belong to an admin
-- instead of a storefront user (exactly one of the two).

ALTER TABLE sessions ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE sessions ADD COLUMN admin_id BIGINT REFERENCES admins (id);
ALTER TABLE sessions ADD CONSTRAINT sessions_one_owner
    CHECK ((user_id IS NULL) <> (admin_id IS NULL));

ALTER TABLE auth_codes ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE auth_codes ADD COLUMN admin_id BIGINT REFERENCES admins (id);
ALTER TABLE auth_codes ADD CONSTRAINT auth_codes_one_owner
    CHECK ((user_id IS NULL) <> (admin_id IS NULL));

-- Grants a storefront user made of a company scope break the rule: their
-- tokens are revoked and the consents forgotten.
UPDATE tokens SET revoked_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
WHERE revoked_at IS NULL AND subject LIKE 'user:%'
  AND (' ' || scopes || ' ' LIKE '% company_session %'
    OR ' ' || scopes || ' ' LIKE '% plum_pro_api %'
    OR ' ' || scopes || ' ' LIKE '% xoxo_link %');
DELETE FROM consents
WHERE ' ' || scopes || ' ' LIKE '% company_session %'
   OR ' ' || scopes || ' ' LIKE '% plum_pro_api %'
   OR ' ' || scopes || ' ' LIKE '% xoxo_link %';
