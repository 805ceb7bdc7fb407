//! Galley: a self-hosted rewards platform with a built-in OAuth 2.0
//! authorization server, wire-compatible with the Xoxoday Plum API.
//!
//! # Layout
//! - [`config`]: typed configuration (file, `GALLEY_*` environment, flags).
//! - [`app`]: shared state, router assembly, middleware, serving.
//! - [`oauth`]: the authorization server (token endpoint and one module per
//!   grant, validation, revocation, introspection, metadata, bearer auth).
//! - [`api`]: the resource API `POST /v1/oauth/api`, one module per tag.
//! - [`domain`]: the product's rules (scopes, money, companies, ledger);
//!   no HTTP types.
//! - [`store`]: the database (SQLite and PostgreSQL through one code path)
//!   and its migrations.
//! - [`web`]: server-rendered pages (templates, sessions, CSRF, demo app).
//! - [`delivery`]: the outbox worker: e-mails (SMTP or spool) with retries.
//! - [`ops`]: health, readiness, metrics, OpenAPI.
//! - [`cli`]: the `galley` command line.
//! - [`crypto`], [`clock`], [`telemetry`]: randomness and hashing, time,
//!   logs and metrics.

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
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
