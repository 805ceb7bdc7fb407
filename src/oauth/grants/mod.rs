//! One module per grant type. Each takes the authenticated client and the
//! request parameters and answers a token response or an OAuth error.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use super::error::OAuthError;
use crate::domain::scopes::ScopeSet;

/// The `scope` parameter, narrowed to `allowed`: absent means all of
/// `allowed`; an unknown or disallowed scope is `invalid_scope`.
pub fn requested_scopes(
    requested: Option<&str>,
    allowed: ScopeSet,
) -> Result<ScopeSet, OAuthError> {
    match requested {
        None => Ok(allowed),
        Some(list) => {
            let requested = ScopeSet::parse(list).map_err(OAuthError::invalid_scope)?;
            if !requested.is_subset_of(allowed) {
                return Err(OAuthError::invalid_scope(format!(
                    "the requested scope exceeds what was granted ({allowed})"
                )));
            }
            if requested.is_empty() {
                return Err(OAuthError::invalid_scope("the requested scope is empty"));
            }
            Ok(requested)
        }
    }
}
