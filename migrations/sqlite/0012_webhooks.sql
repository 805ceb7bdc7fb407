-- Webhooks: a company's endpoints, the events written in the transaction
-- of the change they report, and one delivery per event and endpoint,
-- claimed with a lease by the worker of any node and retried for 3 days.
--
-- The signing secret is stored as is (not hashed): Galley must compute an
-- HMAC with it for every delivery, which a hash cannot do. It is shown
-- once, masked afterwards, and never logged; see src/domain/webhooks.rs.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    url TEXT NOT NULL,
    api_key TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT NOT NULL DEFAULT '',
    previous_secret_until BIGINT NOT NULL DEFAULT 0,
    enabled BIGINT NOT NULL DEFAULT 1,
    disabled_reason TEXT NOT NULL DEFAULT '',
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, enabled);

CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_row BIGINT NOT NULL REFERENCES webhook_events (id),
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    company_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    last_attempt_at BIGINT,
    last_status_code BIGINT,
    last_response TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
