-- The admin portal's reports page through a company's orders and links
-- by keyset (never OFFSET), newest first, and its campaign page lets an
-- admin describe a campaign.
--
-- Orders: (company_id, created_at, id) serves "a company's orders in a
-- date range, newest first, after the order with this (created_at, id)".
-- Links: the pages walk the primary key backwards; a status filter walks
-- (status, id) instead, so that a rare status (redeemed) is found without
-- scanning every link. Batches: (company_id, id) finds a company's
-- batches for the join.
CREATE INDEX orders_company_created_id ON orders (company_id, created_at, id);
CREATE INDEX links_status_id ON links (status, id);
CREATE INDEX link_batches_company_id ON link_batches (company_id, id);

ALTER TABLE campaigns ADD COLUMN description TEXT NOT NULL DEFAULT '';
