//! Galley: a self-hosted rewards platform with a built-in OAuth 2.0
//! authorization server, wire-compatible with the Xoxoday Plum API.
//!
//! # Layout
//! Entry points — they parse input, call the domain, and shape output:
//! - [`oauth`]: the authorization server (token endpoint and one module per
//!   grant, the authorization pages, validation, revocation,
//!   introspection, metadata, bearer authentication).
//! - [`api`]: the resource API `POST /v1/oauth/api`, one module per tag and
//!   one file per operation.
//! - [`web`]: the reward-link page, the demo app's callback, the stylesheet.
//! - [`cli`]: the `galley` command line, one file per command group.
//! - [`delivery`]: the outbox worker (e-mails through SMTP or a spool).
//! - [`ops`]: health, readiness, metrics, the OpenAPI document, the Postman
//!   collection and the API reference page `/docs`.
//!
//! The rules:
//! - [`domain`]: one file (or folder) per noun — clients, tokens, companies,
//!   users, ledger, catalog, orders, campaigns, links — plus values that
//!   validate when constructed (money, scopes). No HTTP or SQL types.
//!
//! Beneath them:
//! - [`store`]: the database (SQLite and PostgreSQL through one code path),
//!   its migrations, and the batching workers that share statements.
//! - Leaves any area may use: [`state`] (the handles every handler
//!   shares), [`pages`] (templates, filters, sessions, CSRF), [`spec`] (the
//!   OpenAPI document and Postman collection, and the input schemas the
//!   API's reader follows), [`config`],
//!   [`crypto`], [`clock`], [`telemetry`]; [`app`] assembles the router and
//!   runs the server.
//!
//! # Rules of the road
//! - Arrows point one way: entry points → `domain` → `store`. `api` and
//!   `web` never import each other; `delivery` imports neither; `domain`
//!   and `store` import no entry point. One entry point uses another, on
//!   purpose: `api` authenticates its callers with `oauth::bearer`, the
//!   token check that the authorization server defines.
//! - Writes go through the domain: every change of money, vouchers,
//!   clients, tokens, campaigns or links is a `domain` function that checks
//!   the rule. Administrative changes (companies, clients, funds, catalog,
//!   codes, rates, campaigns, link batches, admin grants) take the
//!   [`domain::Actor`] who asked and write the audit record in the same
//!   transaction; the high-volume ones (orders, redemptions, refunds) are
//!   recorded by their ledger entries and order rows instead. Reads that
//!   need no rule (a lookup by id, a report, a page's data) may go straight
//!   to the store, and so may the plumbing rows that carry no rule:
//!   sessions, the outbox's delivery state, rate-limit counters.
//! - `sqlx` stays in `store`: others hold a [`store::Tx`] and pass it to
//!   store functions; storage failures are [`store::StoreError`], which the
//!   domain wraps in its own errors and entry points answer as opaque
//!   server errors.
//! - No `unwrap`/`expect` where a request can reach; values stored as text
//!   (statuses, kinds, visibility) are parsed into enums once.
//!
//! May touch: nothing; it only declares the modules and states the rules
//! above.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod delivery;
pub mod domain;
pub mod oauth;
pub mod ops;
pub mod pages;
pub mod spec;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
