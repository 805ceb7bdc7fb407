//! Integration tests: each starts the real server on port 0 with a fresh
//! database, once on SQLite and once on PostgreSQL (see [`common`]).

mod common;

mod api_auth;
mod authorize;
mod bad_input;
mod cli;
mod cli_admin;
mod cli_reads;
mod concurrency;
mod demo;
mod developers;
mod email;
mod forms;
mod fuzz;
mod interop;
mod link_browser;
mod links;
mod money;
mod ops;
mod orders;
mod pages_fuzz;
mod portal;
mod portal_rewards;
mod postman;
mod races;
mod revocation;
mod rewards;
mod token_endpoint;
mod webhooks;
