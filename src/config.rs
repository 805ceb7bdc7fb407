//! Typed configuration: defaults, then an optional TOML file, then `GALLEY_*`
//! environment variables, then command-line flags (the caller merges those).
//!
//! Everything is checked once, in [`Config::validate`], before the server
//! starts; the rest of the program only sees a valid [`Config`]. Values that
//! may hold credentials (database and SMTP URLs) are wrapped in [`Redacted`]
//! so that `Debug` output and logs never show them.
//!
//! May touch: nothing else in the crate (a leaf).

use std::{collections::BTreeMap, fmt, net::SocketAddr, path::Path, time::Duration};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use url::Url;

/// A value that must not appear in logs; `Debug` prints `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted<T>(pub T);

impl<T> Redacted<T> {
    /// The wrapped value; call sites that need it say so explicitly.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The whole configuration of a Galley process. See README.md
/// ("Configuration") for every key and its environment variable.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server binds (`GALLEY_LISTEN`).
    pub listen: String,
    /// Public base URL, the `OAUTH_URL` of clients, optionally with a base
    /// path such as `/chef` (`GALLEY_PUBLIC_URL`). Defaults to
    /// `http://{listen}`.
    pub public_url: Option<String>,
    /// `sqlite://path` or `postgres://...` (`GALLEY_DATABASE_URL`).
    pub database_url: Redacted<String>,
    /// Maximum database connections per process.
    pub database_max_connections: u32,
    /// Access-token lifetime in seconds.
    pub access_token_ttl: u64,
    /// Refresh-token lifetime in seconds, renewed at every rotation.
    pub refresh_token_ttl: u64,
    /// Seconds during which an already-rotated refresh token may be presented
    /// again without being treated as stolen (0 = strict).
    pub refresh_reuse_interval: u64,
    /// Largest accepted request body in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Seconds a request may take before it is answered with 408.
    pub request_timeout: u64,
    /// `text` or `json` (`GALLEY_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// Default log filter when `RUST_LOG` is unset.
    pub log_level: String,
    /// Rewards API calls allowed per client and operation per minute, by
    /// operation name (`getVouchers`, ...); missing names keep their default.
    pub api_rate_limits: BTreeMap<String, u32>,
    /// SMTP server for e-mails, e.g. `smtp://mail.example.com:587`
    /// (`GALLEY_SMTP_URL`); unset: e-mails are written to `spool_dir`.
    pub smtp_url: Option<Redacted<String>>,
    /// Sender address of e-mails.
    pub mail_from: String,
    /// Folder for `.eml` files when no SMTP server is set.
    pub spool_dir: String,
    /// Most links one `generateLink` / `generateLinkEmail` call may create.
    pub max_links_per_request: u32,
    /// Seconds between sweeps that refund expired, unredeemed links.
    pub link_sweep_interval: u64,
    /// Most e-mails one company sends per day (UTC): link e-mails and
    /// vouchers e-mailed from link pages.
    pub max_emails_per_company_per_day: u32,
    /// Bearer token that `GET /metrics` requires (`GALLEY_METRICS_TOKEN`);
    /// unset: `/metrics` answers loopback clients only.
    pub metrics_token: Option<Redacted<String>>,
    /// Webhooks may target loopback, private and link-local addresses and
    /// plain http (`GALLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS`; tests and
    /// private deployments).
    pub webhook_allow_private_targets: bool,
}

/// Default per-minute limits: the Rewards API's, and Galley's own for the
/// two Xoxo Link operations that charge and send e-mail.
pub const DEFAULT_API_RATE_LIMITS: [(&str, u32); 8] = [
    ("getVouchers", 50),
    ("getFilters", 50),
    ("placeOrder", 100),
    ("getOrderDetails", 200),
    ("getOrderHistory", 200),
    ("getBalance", 10),
    ("generateLink", 20),
    ("generateLinkEmail", 10),
];

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            database_url: Redacted("sqlite://galley.db".into()),
            database_max_connections: 16,
            access_token_ttl: 2_592_000,
            refresh_token_ttl: 180 * 24 * 3600,
            refresh_reuse_interval: 0,
            max_body_bytes: 1 << 20,
            request_timeout: 30,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            api_rate_limits: BTreeMap::new(),
            smtp_url: None,
            mail_from: "Galley <no-reply@galley.invalid>".into(),
            spool_dir: "spool".into(),
            max_links_per_request: 10_000,
            link_sweep_interval: 60,
            metrics_token: None,
            max_emails_per_company_per_day: 1000,
            webhook_allow_private_targets: false,
        }
    }
}

/// The address to bind: `127.0.0.1:8080`, `[::1]:8080`, or a host name
/// such as `localhost:8080` (resolved once, first address).
fn resolve_listen(listen: &str) -> Result<SocketAddr, ConfigError> {
    use std::net::ToSocketAddrs;
    let bad = |why: &str| ConfigError::Invalid {
        key: "listen",
        reason: format!(
            "`{listen}` {why}; write an address such as 127.0.0.1:8080 or localhost:8080"
        ),
    };
    if let Ok(addr) = listen.parse() {
        return Ok(addr);
    }
    listen
        .to_socket_addrs()
        .map_err(|_| bad("is not a host and port"))?
        .next()
        .ok_or_else(|| bad("resolves to no address"))
}

/// One line per problem of a figment error: the setting, where it came
/// from, and for an unknown name the closest known one.
fn describe(error: figment::Error) -> String {
    use figment::error::Kind;
    let mut lines: Vec<String> = Vec::new();
    for e in error {
        // Figment names the profile first (`default.`): not a key a user wrote.
        let key = e
            .path
            .iter()
            .filter(|p| p.as_str() != "default")
            .cloned()
            .collect::<Vec<_>>()
            .join(".");
        let source = e
            .metadata
            .as_ref()
            .map(|m| match &m.source {
                Some(source) => format!(" in {source}"),
                None => format!(" in {}", m.name),
            })
            .unwrap_or_default();
        let line = match &e.kind {
            Kind::UnknownField(field, expected) => {
                let suggestion = expected
                    .iter()
                    .map(|known| (strsim::jaro_winkler(field, known), *known))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, known)| format!("; did you mean `{known}`?"))
                    .unwrap_or_default();
                format!("unknown setting `{field}`{source}{suggestion}")
            }
            other => format!("setting `{key}`{source}: {other}"),
        };
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines.join("\n")
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or the environment could not be read or has a wrong type:
    /// one line per problem, each naming the setting and where it came
    /// from, with a suggestion for a misspelt name.
    #[error("{0}")]
    Load(String),
    /// A value was read but is not acceptable.
    #[error("invalid setting `{key}`: {reason}")]
    Invalid {
        /// The setting's name.
        key: &'static str,
        /// What is wrong and what to do.
        reason: String,
    },
}

impl Config {
    /// Defaults, then `file` (if given), then `GALLEY_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid {
                    key: "--config",
                    reason: format!("file {} does not exist", file.display()),
                });
            }
            figment = figment.merge(Toml::file(file));
        }
        // Only setting names are read from the environment: other `GALLEY_*`
        // variables (GALLEY_CONFIG, GALLEY_ADMIN_PASSWORD, ...) belong to the CLI.
        let keys = Config::keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        figment = figment.merge(Env::prefixed("GALLEY_").only(&keys));
        figment
            .extract()
            .map_err(|e| ConfigError::Load(describe(e)))
    }

    /// The names of every setting (lower-case, as in the TOML file).
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Checks every value and derives the public URL.
    pub fn validate(&self) -> Result<ValidConfig, ConfigError> {
        let listen = resolve_listen(&self.listen)?;
        let raw_public = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = PublicUrl::parse(&raw_public).map_err(|reason| ConfigError::Invalid {
            key: "public_url",
            reason,
        })?;
        let db = self.database_url.expose();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                key: "database_url",
                reason: "must start with sqlite:// or postgres://".into(),
            });
        }
        for (key, value) in [
            ("access_token_ttl", self.access_token_ttl),
            ("refresh_token_ttl", self.refresh_token_ttl),
            ("request_timeout", self.request_timeout),
        ] {
            if value == 0 || value > 10 * 365 * 24 * 3600 {
                return Err(ConfigError::Invalid {
                    key,
                    reason: "must be between 1 and 315360000 seconds".into(),
                });
            }
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                key: "max_body_bytes",
                reason: "must be at least 1024".into(),
            });
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid {
                key: "database_max_connections",
                reason: "must be at least 1".into(),
            });
        }
        let mut rate_limits: BTreeMap<String, u32> = DEFAULT_API_RATE_LIMITS
            .iter()
            .map(|(op, n)| (op.to_string(), *n))
            .collect();
        for (op, limit) in &self.api_rate_limits {
            if !rate_limits.contains_key(op) {
                return Err(ConfigError::Invalid {
                    key: "api_rate_limits",
                    reason: format!(
                        "`{op}` is not a Rewards API operation ({})",
                        rate_limits.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            if *limit == 0 {
                return Err(ConfigError::Invalid {
                    key: "api_rate_limits",
                    reason: format!("`{op}` must allow at least 1 call"),
                });
            }
            rate_limits.insert(op.clone(), *limit);
        }
        if let Some(url) = &self.smtp_url {
            if !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://")) {
                return Err(ConfigError::Invalid {
                    key: "smtp_url",
                    reason: "must start with smtp:// or smtps://".into(),
                });
            }
        }
        if self.max_links_per_request == 0 || self.max_links_per_request > 1_000_000 {
            return Err(ConfigError::Invalid {
                key: "max_links_per_request",
                reason: "must be between 1 and 1000000".into(),
            });
        }
        if self.link_sweep_interval == 0 || self.link_sweep_interval > 24 * 3600 {
            return Err(ConfigError::Invalid {
                key: "link_sweep_interval",
                reason: "must be between 1 and 86400 seconds".into(),
            });
        }
        if let Some(token) = &self.metrics_token {
            if token.expose().len() < 16 {
                return Err(ConfigError::Invalid {
                    key: "metrics_token",
                    reason: "must have at least 16 characters".into(),
                });
            }
        }
        if self.max_emails_per_company_per_day == 0 {
            return Err(ConfigError::Invalid {
                key: "max_emails_per_company_per_day",
                reason: "must be at least 1".into(),
            });
        }
        Ok(ValidConfig {
            webhook_allow_private_targets: self.webhook_allow_private_targets,
            max_emails_per_company_per_day: i64::from(self.max_emails_per_company_per_day),
            metrics_token: self.metrics_token.clone(),
            max_links_per_request: i64::from(self.max_links_per_request),
            link_sweep_interval: Duration::from_secs(self.link_sweep_interval),
            api_rate_limits: rate_limits,
            smtp_url: self.smtp_url.clone(),
            mail_from: self.mail_from.clone(),
            spool_dir: self.spool_dir.clone(),
            listen,
            public_url,
            database_url: self.database_url.clone(),
            database_max_connections: self.database_max_connections,
            tokens: TokenSettings {
                access_ttl: Duration::from_secs(self.access_token_ttl),
                refresh_ttl: Duration::from_secs(self.refresh_token_ttl),
                refresh_reuse_interval: Duration::from_secs(self.refresh_reuse_interval),
            },
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout),
            log_format: self.log_format,
            log_level: self.log_level.clone(),
        })
    }
}

/// Token lifetimes.
#[derive(Clone, Copy, Debug)]
pub struct TokenSettings {
    /// Access-token lifetime.
    pub access_ttl: Duration,
    /// Refresh-token lifetime (sliding).
    pub refresh_ttl: Duration,
    /// Grace period for presenting a rotated refresh token again.
    pub refresh_reuse_interval: Duration,
}

/// A configuration that passed [`Config::validate`].
#[derive(Clone, Debug)]
pub struct ValidConfig {
    /// Webhooks may target private addresses and plain http.
    pub webhook_allow_private_targets: bool,
    /// Daily cap on a company's outgoing e-mails.
    pub max_emails_per_company_per_day: i64,
    /// Bearer token for `/metrics`; unset: loopback clients only.
    pub metrics_token: Option<Redacted<String>>,
    /// Most links per generation call.
    pub max_links_per_request: i64,
    /// Time between expiry sweeps.
    pub link_sweep_interval: Duration,
    /// Per-minute limits by operation, defaults filled in.
    pub api_rate_limits: BTreeMap<String, u32>,
    /// SMTP server, if any.
    pub smtp_url: Option<Redacted<String>>,
    /// Sender address.
    pub mail_from: String,
    /// Spool folder when no SMTP server is set.
    pub spool_dir: String,
    /// Bind address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The public base URL.
    pub public_url: PublicUrl,
    /// Database URL.
    pub database_url: Redacted<String>,
    /// Pool size.
    pub database_max_connections: u32,
    /// Token lifetimes.
    pub tokens: TokenSettings,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Default log filter.
    pub log_level: String,
}

/// The server's public base URL: origin plus an optional base path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
    base_path: String,
}

impl PublicUrl {
    /// Accepts `http(s)://host[:port][/base/path]` without query or fragment.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!("`{raw}` must use http or https"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!(
                "`{raw}` must not have a query, fragment or user name"
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("`{raw}` has no host"))?;
        let origin = match url.port() {
            Some(port) => format!("{}://{}:{}", url.scheme(), host, port),
            None => format!("{}://{}", url.scheme(), host),
        };
        let base_path = url.path().trim_end_matches('/').to_string();
        Ok(Self { origin, base_path })
    }

    /// `https://host/chef` (no trailing slash): the issuer identifier.
    pub fn base(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }

    /// The base path, empty or starting with `/` (no trailing slash).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// `base()` joined with a route such as `/v1/oauth/token/user`.
    pub fn join(&self, route: &str) -> String {
        format!("{}{}", self.base(), route)
    }

    /// True when cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_keeps_base_path_without_trailing_slash() {
        let url = PublicUrl::parse("https://accounts.example.com/chef/").unwrap();
        assert_eq!(url.base(), "https://accounts.example.com/chef");
        assert_eq!(url.base_path(), "/chef");
        assert_eq!(
            url.join("/v1/oauth/token"),
            "https://accounts.example.com/chef/v1/oauth/token"
        );
        assert!(url.is_https());
    }

    #[test]
    fn public_url_rejects_other_schemes_and_queries() {
        assert!(PublicUrl::parse("ftp://x").is_err());
        assert!(PublicUrl::parse("http://x/?a=b").is_err());
        assert!(PublicUrl::parse("not a url").is_err());
    }

    #[test]
    fn redacted_hides_value_in_debug() {
        let config = Config {
            database_url: Redacted("postgres://u:hunter2@h/db".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn validate_rejects_zero_ttl() {
        let config = Config {
            access_token_ttl: 0,
            ..Config::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::Invalid {
                key: "access_token_ttl",
                ..
            })
        ));
    }
}
