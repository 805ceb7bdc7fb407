//! The product's own rules, free of HTTP and SQL types, one module per
//! noun: clients, tokens, companies and their admins, storefront users, the
//! ledger, the catalog, orders, campaigns and links; values that validate
//! when constructed (money, scopes), so code that holds one may trust it.
//!
//! Every write takes the [`Actor`] who asked and records it in the audit
//! trail in the transaction of the change.
//!
//! May touch: `store`, `config`, `crypto`, `clock`. Never an entry point
//! (`api`, `oauth`, `web`, `cli`, `delivery`).

pub mod attempts;
pub mod campaigns;
pub mod catalog;
pub mod clients;
pub mod companies;
pub mod inventory;
pub mod ledger;
pub mod links;
pub mod money;
pub mod operators;
pub mod orders;
pub mod passwords;
pub mod scopes;
pub mod tokens;
pub mod users;
pub mod webhooks;

use crate::store::{audit, StoreError, Tx};

/// Why a domain operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not acceptable; the message is safe to show and says
    /// what to change.
    #[error("{0}")]
    Invalid(String),
    /// The named object does not exist (or belongs to another company).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change clashes with what exists (a taken e-mail address, a code
    /// already in the inventory); the message says which.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed; details are for logs only.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else unexpected; details are for logs only.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Result of a domain operation.
pub type Result<T> = std::result::Result<T, Error>;

/// Who asks for a change: written to the audit trail with every write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The operator, through the `galley` command line.
    Cli,
    /// A company admin (portal, or an admin's own token).
    Admin(i64),
    /// An OAuth client, by its client id.
    Client(String),
    /// A storefront user.
    User(i64),
    /// Galley itself (background sweeps and workers).
    System,
    /// A person the operator named to review apps (the operator pages).
    Operator(i64),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Cli => f.write_str("cli"),
            Actor::Admin(id) => write!(f, "admin:{id}"),
            Actor::Client(id) => write!(f, "client:{id}"),
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::System => f.write_str("system"),
            Actor::Operator(id) => write!(f, "operator:{id}"),
        }
    }
}

/// Appends "`actor` did `action` to `subject`" to the audit trail, in the
/// transaction of the change it records (`company_id` `None` for
/// operator-wide changes such as the catalog). `detail` never holds
/// secrets.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    company_id: impl Into<Option<i64>>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
    now: i64,
) -> std::result::Result<(), StoreError> {
    audit::record(
        tx,
        audit::Event {
            company_id: company_id.into(),
            actor: &actor.to_string(),
            action,
            subject,
            detail,
        },
        now,
    )
    .await
}

/// Checks a human-entered name: 1 to `max` characters, no control characters.
pub fn check_name(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(Error::Invalid(format!(
            "{field} must have at most {max} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(value.to_string())
}

/// Parses and normalises (lower-cases) an e-mail address. Only a plain
/// `local@domain.tld` is accepted: no display name (`Name <a@x>`), no
/// quoted local part (which may hide line breaks), no IP literal domain,
/// at most 254 characters.
pub fn parse_email(value: &str) -> Result<String> {
    use email_address::{EmailAddress, Options};
    let value = value.trim();
    let options = Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld();
    let plain = !value.starts_with('"') && !value.contains(char::is_control);
    match EmailAddress::parse_with_options(value, options) {
        Ok(addr) if plain && value.len() <= 254 => Ok(addr.as_str().to_ascii_lowercase()),
        _ => Err(Error::Invalid(format!(
            "`{}` is not an e-mail address (write it as name@example.com)",
            scopes::truncate(value, 64)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_addresses_are_accepted() {
        assert_eq!(parse_email(" Asha@Shop.Test ").unwrap(), "asha@shop.test");
        assert!(parse_email("first.last+tag@mail.example.co").is_ok());
        for bad in [
            "\"a\nb\"@x.test",
            "\"a b\"@x.test",
            "Evil Name <a@x.test>",
            "a@[127.0.0.1]",
            "a@localhost",
            "a@x.test\nBcc: b@y.test",
            "no-at-sign",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
