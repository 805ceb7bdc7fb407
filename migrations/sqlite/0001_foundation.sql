-- Companies (tenants), their admins, OAuth clients, tokens, the ledger and
-- the audit trail. Times are epoch milliseconds; money is integer minor units.

CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    base_currency TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE admins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    secret_rotated_at BIGINT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    visibility TEXT NOT NULL,
    approved BIGINT NOT NULL,
    signup_company_id BIGINT REFERENCES companies (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX clients_company ON clients (company_id);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    token_type TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id),
    company_id BIGINT NOT NULL REFERENCES companies (id),
    subject TEXT NOT NULL,
    scopes TEXT NOT NULL,
    family_id TEXT NOT NULL,
    parent_id BIGINT,
    grant_type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX tokens_family ON tokens (family_id);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    kind TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reference TEXT,
    memo TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_company ON ledger_entries (company_id, id);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_company ON audit_events (company_id, id);
