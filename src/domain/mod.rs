//! The product's own rules, free of HTTP and SQL types: scopes and grants,
//! money, companies and their admins, the ledger. Values validate when they
//! are constructed, so code that holds one may trust it.

pub mod campaigns;
pub mod catalog;
pub mod companies;
pub mod inventory;
pub mod ledger;
pub mod links;
pub mod money;
pub mod orders;
pub mod passwords;
pub mod scopes;
pub mod users;

use crate::store::StoreError;

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
    /// Storage failed; details are for logs only.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else unexpected; details are for logs only.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(StoreError::Sqlx(e))
    }
}

/// Result of a domain operation.
pub type Result<T> = std::result::Result<T, Error>;

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

/// Parses and normalises (lower-cases) an e-mail address.
pub fn parse_email(value: &str) -> Result<String> {
    let value = value.trim();
    match value.parse::<email_address::EmailAddress>() {
        Ok(addr) if value.len() <= 254 => Ok(addr.as_str().to_ascii_lowercase()),
        _ => Err(Error::Invalid(format!(
            "`{}` is not an e-mail address",
            scopes::truncate(value, 64)
        ))),
    }
}
