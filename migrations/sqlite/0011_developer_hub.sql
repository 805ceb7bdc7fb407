-- The developer hub: what an app shows on its consent page, the review of
-- public apps (draft, submitted, approved, rejected with a reason), and the
-- previous secret, kept valid for a grace period the developer chooses when
-- refreshing the secret (none by default).
ALTER TABLE clients ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN homepage_url TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN review TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE clients ADD COLUMN review_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN previous_secret_until BIGINT NOT NULL DEFAULT 0;
UPDATE clients SET review = 'approved' WHERE approved = 1;
