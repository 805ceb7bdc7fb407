//! OAuth scopes, grant types and token types as closed sets.
//!
//! Scopes come in two kinds. **User scopes** (`user_session`,
//! `profile_read`, `points_read`) concern a storefront user, who may grant
//! them. **Company scopes** (`company_session`, `plum_pro_api`,
//! `xoxo_link`) act on a company's money and data: only an admin of that
//! company grants them.
//!
//! May touch: nothing else in the crate.

use std::{fmt, str::FromStr};

/// A scope a client may hold and a token may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Act for a storefront user.
    UserSession,
    /// Act for the company (company tokens).
    CompanySession,
    /// Read the user's profile.
    ProfileRead,
    /// Read points balances.
    PointsRead,
    /// Xoxo Link API (campaigns and reward links).
    XoxoLink,
    /// Rewards API (catalog, orders, balance).
    PlumProApi,
}

impl Scope {
    /// Every scope, in canonical order.
    pub const ALL: [Scope; 6] = [
        Scope::UserSession,
        Scope::CompanySession,
        Scope::ProfileRead,
        Scope::PointsRead,
        Scope::XoxoLink,
        Scope::PlumProApi,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::UserSession => "user_session",
            Scope::CompanySession => "company_session",
            Scope::ProfileRead => "profile_read",
            Scope::PointsRead => "points_read",
            Scope::XoxoLink => "xoxo_link",
            Scope::PlumProApi => "plum_pro_api",
        }
    }

    /// True for the scopes that act on a company's money and data, which
    /// only an admin of that company may grant.
    pub fn is_company(self) -> bool {
        matches!(
            self,
            Scope::CompanySession | Scope::PlumProApi | Scope::XoxoLink
        )
    }

    /// What a company scope lets an app do with `company`, in words, for
    /// the admin's consent page; user scopes read as [`Scope::describe`].
    pub fn describe_for_company(self, company: &str) -> String {
        match self {
            Scope::PlumProApi => format!(
                "Place orders charged to {company}'s balance, and read its vouchers, orders and balance"
            ),
            Scope::XoxoLink => format!(
                "Create reward links charged to {company}'s balance, and read its campaigns"
            ),
            Scope::CompanySession => format!("Act on behalf of {company}"),
            other => other.describe().to_string(),
        }
    }

    /// A sentence for consent pages.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::UserSession => "Act on your behalf in the storefront",
            Scope::CompanySession => "Act on behalf of your company",
            Scope::ProfileRead => "Read your profile (name and e-mail address)",
            Scope::PointsRead => "Read your points balance",
            Scope::XoxoLink => "Create reward campaigns and reward links",
            Scope::PlumProApi => "Browse vouchers, place orders and read the balance",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown scope `{}`", truncate(s, 64)))
    }
}

/// A set of scopes. Parsed from comma- or space-separated lists (the seeds
/// use commas, RFC 6749 spaces); shown space-separated in canonical order.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    /// The empty set.
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// Parses a list; an empty string is the empty set.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut set = ScopeSet::EMPTY;
        for part in list.split([',', ' ']).filter(|p| !p.is_empty()) {
            set.0 |= part.parse::<Scope>()?.bit();
        }
        Ok(set)
    }

    /// True when `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// True when every scope of `self` is in `other`.
    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// True when the set has no scope.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when any scope of the set is a company scope.
    pub fn has_company_scope(self) -> bool {
        self.iter().any(Scope::is_company)
    }

    /// The scopes, in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().fold(0, |acc, s| acc | s.bit()))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({self})")
    }
}

/// An OAuth grant type Galley supports. There is deliberately no password
/// grant (RFC 9700 §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
}

impl GrantType {
    /// Every grant type.
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// Parses a space- or comma-separated list of grant types.
    pub fn parse_list(list: &str) -> Result<Vec<GrantType>, String> {
        let mut out = Vec::new();
        for part in list.split([',', ' ']).filter(|p| !p.is_empty()) {
            let grant = part.parse()?;
            if !out.contains(&grant) {
                out.push(grant);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Shows a list space-separated.
    pub fn join(list: &[GrantType]) -> String {
        list.iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromStr for GrantType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GrantType::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| format!("unsupported grant type `{}`", truncate(s, 64)))
    }
}

/// Whom a token acts for: the `{token_type}` of the token endpoint's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// A user (or an admin acting in the company).
    User,
    /// The company itself.
    Company,
}

impl TokenType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::User => "user",
            TokenType::Company => "company",
        }
    }
}

impl FromStr for TokenType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(TokenType::User),
            "company" => Ok(TokenType::Company),
            other => Err(format!(
                "token type `{}` must be `user` or `company`",
                truncate(other, 64)
            )),
        }
    }
}

/// Cuts untrusted text before echoing it in a message.
pub fn truncate(s: &str, max_chars: usize) -> String {
    let mut out: String = s.chars().take(max_chars).collect();
    if s.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_accept_commas_and_spaces() {
        let a = ScopeSet::parse("plum_pro_api,xoxo_link").unwrap();
        let b = ScopeSet::parse("xoxo_link plum_pro_api").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "xoxo_link plum_pro_api");
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn unknown_scope_is_an_error() {
        assert!(ScopeSet::parse("plum_pro_api,admin")
            .unwrap_err()
            .contains("admin"));
    }

    #[test]
    fn subset() {
        let all: ScopeSet = Scope::ALL.into_iter().collect();
        let one = ScopeSet::parse("points_read").unwrap();
        assert!(one.is_subset_of(all));
        assert!(!all.is_subset_of(one));
    }

    #[test]
    fn no_password_grant() {
        assert!("password".parse::<GrantType>().is_err());
        assert_eq!(
            GrantType::parse_list("refresh_token,client_credentials refresh_token").unwrap(),
            vec![GrantType::RefreshToken, GrantType::ClientCredentials]
        );
    }
}
