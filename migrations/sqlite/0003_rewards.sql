-- The operator-wide voucher catalog, voucher-code inventory, exchange
-- rates, orders, and the outbox of messages to deliver. Decimal values that
-- are only shown (fees, rules, bounds) are kept as decimal text; amounts
-- that are computed with are integer minor units.

CREATE TABLE products (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    terms TEXT NOT NULL,
    expiry_validity TEXT NOT NULL,
    redemption_instructions TEXT NOT NULL,
    categories TEXT NOT NULL,
    image_url TEXT NOT NULL,
    currency_code TEXT NOT NULL,
    currency_name TEXT NOT NULL,
    country_code TEXT NOT NULL,
    country_name TEXT NOT NULL,
    countries TEXT NOT NULL,
    exchange_rate_rule TEXT NOT NULL,
    value_type TEXT NOT NULL,
    min_value TEXT NOT NULL,
    max_value TEXT NOT NULL,
    denominations TEXT NOT NULL,
    tat_in_days TEXT NOT NULL,
    usage_type TEXT NOT NULL,
    delivery_type TEXT NOT NULL,
    fee TEXT NOT NULL,
    discount TEXT NOT NULL,
    order_quantity_limit BIGINT NOT NULL,
    kind TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_name ON products (name);

CREATE TABLE voucher_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id BIGINT NOT NULL REFERENCES products (id),
    denomination_minor BIGINT NOT NULL,
    code TEXT NOT NULL,
    pin TEXT,
    validity TEXT,
    order_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (product_id, code)
);
CREATE INDEX voucher_codes_free ON voucher_codes (product_id, denomination_minor, order_id, id);
CREATE INDEX voucher_codes_order ON voucher_codes (order_id);

CREATE TABLE fx_rates (
    from_currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (from_currency, to_currency)
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    client_id TEXT NOT NULL,
    po_number TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (id),
    product_name TEXT NOT NULL,
    denomination_minor BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    currency_code TEXT NOT NULL,
    currency_value TEXT NOT NULL,
    order_total_minor BIGINT NOT NULL,
    discount_minor BIGINT NOT NULL,
    discount_percent TEXT NOT NULL,
    amount_charged_minor BIGINT NOT NULL,
    base_currency TEXT NOT NULL,
    order_status TEXT NOT NULL,
    delivery_status TEXT NOT NULL,
    email TEXT NOT NULL,
    contact TEXT NOT NULL,
    tag TEXT NOT NULL,
    notify_receiver BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (company_id, po_number)
);
CREATE INDEX orders_company_created ON orders (company_id, created_at);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- Bumped by every order: the row lock it takes serialises a company's
-- orders on PostgreSQL (SQLite serialises all writers anyway).
ALTER TABLE companies ADD COLUMN order_seq BIGINT NOT NULL DEFAULT 0;

-- The running sum of a company's ledger entries, updated in the same
-- transaction as every entry (the entries stay the source of truth).
ALTER TABLE companies ADD COLUMN balance_minor BIGINT NOT NULL DEFAULT 0;

-- Bumped by every catalog import, so caches of the catalog can check in
-- one read that they are current.
CREATE TABLE catalog_meta (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO catalog_meta (id, version) VALUES (1, 0);

-- Where a company's recipients are (ISO 3166 alpha-2), if set: orders of
-- products not available there are refused (PLE10019).
ALTER TABLE companies ADD COLUMN country_code TEXT;
