//! The page kit shared by every area that renders HTML or e-mail: the
//! compiled templates (minijinja, HTML auto-escaped) and their filters, the
//! headers every page carries, browser sessions and CSRF protection
//! ([`session`]).
//!
//! May touch: `domain` (formatting values), `store`, `state` and `crypto`
//! (sessions). Names no `api`, `oauth` or `web` type, so each of them may
//! use it.

pub mod filters;
pub mod session;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use minijinja::Environment;
use serde::Serialize;

/// The stylesheet, served by Galley itself (no CDN).
pub const STYLESHEET: &str = include_str!("../../assets/galley.css");
/// The portal's only script: copy buttons (pages work without it).
pub const PORTAL_SCRIPT: &str = include_str!("../../assets/portal.js");

/// Names the templates under `templates/`, embedding each in the binary.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = embedded![
    "base.html",
    "hidden_params.html",
    "login.html",
    "signup.html",
    "signup_sent.html",
    "signup_confirm.html",
    "consent.html",
    "error.html",
    "refused.html",
    "callback.html",
    "redeem.html",
    "email/order.txt",
    "email/order.html",
    "email/order_admin.txt",
    "email/order_admin.html",
    "email/link.txt",
    "email/link.html",
    "email/signup_confirm.txt",
    "email/signup_confirm.html",
    "email/signup_existing.txt",
    "email/signup_existing.html",
    "email/webhook_disabled.txt",
    "email/webhook_disabled.html",
    "admin/layout.html",
    "admin/login.html",
    "admin/message.html",
    "admin/overview.html",
    "admin/api.html",
    "admin/secret.html",
    "admin/tokens.html",
    "admin/balance.html",
    "admin/admins.html",
    "admin/audit.html",
    "admin/webhooks.html",
    "admin/webhook.html",
    "admin/webhook_secret.html",
    "developers/list.html",
    "developers/new.html",
    "developers/app_tabs.html",
    "developers/basic_fields.html",
    "developers/basic.html",
    "developers/oauth.html",
    "developers/try.html",
    "developers/try_result.html",
    "operator/login.html",
    "operator/apps.html",
    "admin/campaigns.html",
    "admin/campaign_new.html",
    "admin/campaign.html",
    "admin/campaign_batch.html",
    "admin/campaign_batch_body.html",
    "admin/campaign_generating.html",
    "admin/report_tabs.html",
    "admin/report_pager.html",
    "admin/report_orders.html",
    "admin/report_links.html",
];

/// The compiled page templates.
#[derive(Debug)]
pub struct Templates(Environment<'static>);

impl Templates {
    /// Loads every template (embedded in the binary).
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("templates are valid (checked by tests)");
        }
        filters::register(&mut env);
        Self(env)
    }

    /// Renders `name` (HTML-escaped when it ends in `.html`).
    pub fn render<C: Serialize>(&self, name: &str, context: C) -> Result<String, minijinja::Error> {
        self.0.get_template(name)?.render(context)
    }

    /// Renders `name` with `context` into a page with `status`.
    pub fn page<C: Serialize>(&self, status: StatusCode, name: &str, context: C) -> Response {
        match self.0.get_template(name).and_then(|t| t.render(context)) {
            Ok(html) => html_response(status, html),
            Err(e) => {
                tracing::error!(error = %e, template = name, "template failed");
                html_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Error</title><p>Something went wrong.".into(),
                )
            }
        }
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// An HTML response with the headers every page carries: no caching, no
/// framing (clickjacking, RFC 9700 §4.16), a strict content policy.
pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_hostile_text() {
        let templates = Templates::new();
        let ctx = minijinja::context! { base_path => "", title => "<script>alert(1)</script>", message => "\"><img src=x>" };
        let html = templates.render("error.html", &ctx).unwrap();
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
        assert!(!html.contains("<img src=x>"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;img src=x&gt;"), "{html}");
        let response = templates.page(StatusCode::BAD_REQUEST, "error.html", ctx);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn a_voucher_without_pin_shows_no_pin() {
        let templates = Templates::new();
        let ctx = minijinja::context! {
            product => "Gift", order_id => 7, currency => "INR", denomination_minor => 50000,
            instructions => "", vouchers => vec![minijinja::context! { code => "ABC", pin => None::<String>, validity => "" }],
        };
        for name in ["email/order.html", "email/order.txt"] {
            let out = templates.render(name, &ctx).unwrap();
            assert!(out.contains("ABC") && out.contains("500.00"), "{out}");
            assert!(!out.to_lowercase().contains("none"), "{name}: {out}");
        }
    }
}
