//! One module per grant type. Each reads the request parameters of its
//! grant, hands them with the authenticated client to
//! [`crate::domain::tokens`], and answers a token response or an OAuth
//! error. The rules themselves live in the domain.
//!
//! May touch: through its grants, `domain::tokens`, `domain::scopes`,
//! `store::clients` (the row type), `oauth::params`, `oauth::error`. Never
//! `api` or `web`.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
