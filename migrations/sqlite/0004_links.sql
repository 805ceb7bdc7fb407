-- Xoxo Link campaigns, the batches of links generated for them and the
-- links themselves. A link's code is a split token: its batch and position
-- (the selector, looked up by this table's key) and 192 random bits (the
-- verifier); only the SHA-256 of the whole code is stored. Keys grow with
-- every insert, so generating many links appends to the indexes instead of
-- scattering over a random-key index. A link's value and charge live on its
-- batch (every link of a batch is worth the same).

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    name TEXT NOT NULL,
    denomination_minor BIGINT NOT NULL,
    currency_code TEXT NOT NULL,
    country_code TEXT NOT NULL,
    country_name TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX campaigns_company ON campaigns (company_id, id);

CREATE TABLE campaign_products (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    position BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, product_id)
);

CREATE TABLE link_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    client_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    denomination_minor BIGINT NOT NULL,
    currency_code TEXT NOT NULL,
    currency_value TEXT NOT NULL,
    link_charge_minor BIGINT NOT NULL,
    base_currency TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX link_batches_company ON link_batches (company_id, campaign_id);

-- status: created -> redeemed (a recipient chose a voucher), or
-- created -> refunded (expired unredeemed; its value went back to the
-- ledger). "Expired" is a created link past expires_at not yet swept.
CREATE TABLE links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id BIGINT NOT NULL REFERENCES link_batches (id),
    position BIGINT NOT NULL,
    code_hash TEXT NOT NULL,
    email TEXT,
    status TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    order_id BIGINT,
    redeemed_at BIGINT,
    refunded_at BIGINT,
    voucher_emails BIGINT NOT NULL DEFAULT 0,
    UNIQUE (batch_id, position)
);
CREATE INDEX links_sweep ON links (status, expires_at);
