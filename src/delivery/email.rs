//! E-mails: composed from text + HTML templates, sent through SMTP
//! (`smtp_url`) or, with no SMTP server configured, written as `.eml` files
//! to `spool_dir` (named by outbox id, so a retry never makes a second one).
//!
//! May touch: `store` (reads of orders, codes, products, links and
//! companies; the outbox message type), `domain::links`, `domain::users`
//! and `domain::money` (message kinds, amounts), `store::webhooks` (the
//! endpoint an admin e-mail names), `state` (templates), `config`. Never
//! `api` or `web`.

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use minijinja::context;
use serde::Deserialize;

use crate::{
    config::ValidConfig,
    domain::{money, users},
    state::AppState,
    store::{catalog, links, orders, outbox},
};

/// Where e-mails go.
pub enum Mailer {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Mailbox),
    /// A spool folder of `.eml` files.
    Spool(std::path::PathBuf, Mailbox),
}

#[derive(Deserialize)]
struct LinkPayload {
    link_id: i64,
    company_id: i64,
    url: Option<String>,
}

/// The payload of a message once sent: the URL of a reward link or of a
/// sign-up confirmation is a bearer secret and is not kept after delivery.
pub fn without_secrets(message: &outbox::Message) -> Option<String> {
    if message.kind != crate::domain::links::LINK_EMAIL && message.kind != users::SIGNUP_CONFIRM {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_str(&message.payload).ok()?;
    value.as_object_mut()?.remove("url");
    Some(value.to_string())
}

#[derive(Deserialize)]
struct SignUpPayload {
    to: String,
    app: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct OrderPayload {
    order_id: i64,
    company_id: i64,
    /// The recipient this message is for, when it is not the order's own
    /// address (a voucher e-mailed from the link page: each request names
    /// its own recipient, whatever later requests write on the order).
    #[serde(default)]
    to: Option<String>,
}

impl Mailer {
    /// Builds the transport from the settings.
    pub fn new(config: &ValidConfig) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
        Ok(match &config.smtp_url {
            Some(url) => Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())?.build(),
                from,
            ),
            None => {
                std::fs::create_dir_all(&config.spool_dir)?;
                Mailer::Spool(config.spool_dir.clone().into(), from)
            }
        })
    }

    fn from(&self) -> &Mailbox {
        match self {
            Mailer::Smtp(_, from) | Mailer::Spool(_, from) => from,
        }
    }

    /// Sends the voucher e-mail of an order.
    pub async fn send_order(
        &self,
        state: &AppState,
        message: &outbox::Message,
    ) -> anyhow::Result<()> {
        let payload: OrderPayload = serde_json::from_str(&message.payload)?;
        let order = orders::find(state.db.reader(), payload.company_id, payload.order_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("order {} is gone", payload.order_id))?;
        let codes = orders::codes(state.db.reader(), order.id).await?;
        let product = catalog::find(state.db.reader(), order.product_id).await?;
        let instructions = product
            .map(|p| p.redemption_instructions)
            .unwrap_or_default();
        let vouchers: Vec<_> = codes
            .iter()
            .map(|c| context! { code => c.code, pin => c.pin, validity => c.validity.clone().unwrap_or_default() })
            .collect();
        let ctx = context! {
            product => order.product_name, order_id => order.id, currency => order.currency_code,
            denomination_minor => order.denomination_minor, vouchers, instructions,
        };
        let text = state.templates.render("email/order.txt", &ctx)?;
        let html = state.templates.render("email/order.html", &ctx)?;
        let to: Mailbox = payload
            .to
            .as_deref()
            .unwrap_or(&order.email)
            .parse()
            .map_err(|e| anyhow::anyhow!("receiver address: {e}"))?;
        let subject = format!(
            "Your {} voucher{}",
            order.product_name,
            if codes.len() == 1 { "" } else { "s" }
        );
        self.deliver(message.id, vec![to], subject, text, html)
            .await
    }

    /// Sends an order summary (without codes) to the company's admins.
    pub async fn send_order_to_admins(
        &self,
        state: &AppState,
        message: &outbox::Message,
    ) -> anyhow::Result<()> {
        let payload: OrderPayload = serde_json::from_str(&message.payload)?;
        let order = orders::find(state.db.reader(), payload.company_id, payload.order_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("order {} is gone", payload.order_id))?;
        let admins =
            crate::store::companies::admin_emails(state.db.reader(), order.company_id).await?;
        let to: Vec<Mailbox> = admins.iter().filter_map(|a| a.parse().ok()).collect();
        if to.is_empty() {
            return Err(anyhow::anyhow!(
                "company {} has no admin e-mail address",
                order.company_id
            ));
        }
        let ctx = context! {
            order_id => order.id, product => order.product_name, quantity => order.quantity,
            denomination_minor => order.denomination_minor, currency => order.currency_code,
            charged_minor => order.amount_charged_minor, base_currency => order.base_currency,
            status => order.order_status, po_number => order.po_number, receiver => order.email,
        };
        let text = state.templates.render("email/order_admin.txt", &ctx)?;
        let html = state.templates.render("email/order_admin.html", &ctx)?;
        self.deliver(
            message.id,
            to,
            format!("Order {} placed: {}", order.id, order.product_name),
            text,
            html,
        )
        .await
    }

    /// Sends a reward link to its recipient.
    pub async fn send_link(
        &self,
        state: &AppState,
        message: &outbox::Message,
    ) -> anyhow::Result<()> {
        let payload: LinkPayload = serde_json::from_str(&message.payload)?;
        let url = payload
            .url
            .ok_or_else(|| anyhow::anyhow!("the link's URL is no longer in the message"))?;
        let link = links::find(state.db.reader(), payload.company_id, payload.link_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("link {} is gone", payload.link_id))?;
        let company = crate::store::companies::find(state.db.reader(), link.company_id).await?;
        let to: Mailbox = link
            .email
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient address: {e}"))?;
        let value = format!(
            "{} {}",
            money::amount_text(link.denomination_minor, &link.currency_code),
            link.currency_code
        );
        let ctx = context! {
            company => company.map(|c| c.name).unwrap_or_default(), campaign => link.campaign_name,
            value, url, expires_at => link.expires_at,
        };
        let text = state.templates.render("email/link.txt", &ctx)?;
        let html = state.templates.render("email/link.html", &ctx)?;
        self.deliver(
            message.id,
            vec![to],
            format!("Your {value} reward"),
            text,
            html,
        )
        .await
    }

    /// Sends a sign-up e-mail: the confirmation link, or the note that the
    /// address has an account.
    pub async fn send_sign_up(
        &self,
        state: &AppState,
        message: &outbox::Message,
    ) -> anyhow::Result<()> {
        let payload: SignUpPayload = serde_json::from_str(&message.payload)?;
        let url = payload
            .url
            .ok_or_else(|| anyhow::anyhow!("the message's URL is no longer in it"))?;
        let to: Mailbox = payload
            .to
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient address: {e}"))?;
        let (template, subject) = if message.kind == users::SIGNUP_CONFIRM {
            (
                "signup_confirm",
                format!("Finish creating your {} account", payload.app),
            )
        } else {
            (
                "signup_existing",
                format!("You already have a {} account", payload.app),
            )
        };
        let ctx = context! { app => payload.app, url };
        let text = state
            .templates
            .render(&format!("email/{template}.txt"), &ctx)?;
        let html = state
            .templates
            .render(&format!("email/{template}.html"), &ctx)?;
        self.deliver(message.id, vec![to], subject, text, html)
            .await
    }

    /// Tells a company's admins that Galley disabled a webhook endpoint
    /// whose every delivery failed for 3 days.
    pub async fn send_webhook_disabled(
        &self,
        state: &AppState,
        message: &outbox::Message,
    ) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        struct Payload {
            company_id: i64,
            endpoint_id: i64,
        }
        let payload: Payload = serde_json::from_str(&message.payload)?;
        let reader = state.db.reader();
        let endpoint =
            crate::store::webhooks::find_endpoint(reader, payload.company_id, payload.endpoint_id)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("webhook endpoint {} is gone", payload.endpoint_id)
                })?;
        let admins = crate::store::companies::admin_emails(reader, payload.company_id).await?;
        let to: Vec<Mailbox> = admins.iter().filter_map(|a| a.parse().ok()).collect();
        if to.is_empty() {
            return Err(anyhow::anyhow!(
                "company {} has no admin e-mail address",
                payload.company_id
            ));
        }
        let ctx = context! {
            endpoint_id => endpoint.id, url => endpoint.url,
            portal_url => state.config.public_url.join(&format!("/admin/webhooks/{}", endpoint.id)),
        };
        let text = state.templates.render("email/webhook_disabled.txt", &ctx)?;
        let html = state
            .templates
            .render("email/webhook_disabled.html", &ctx)?;
        self.deliver(
            message.id,
            to,
            "A webhook endpoint was disabled".into(),
            text,
            html,
        )
        .await
    }

    async fn deliver(
        &self,
        id: i64,
        to: Vec<Mailbox>,
        subject: String,
        text: String,
        html: String,
    ) -> anyhow::Result<()> {
        let mut builder = Message::builder()
            .from(self.from().clone())
            .subject(subject);
        for mailbox in to {
            builder = builder.to(mailbox);
        }
        let email = builder
            .message_id(Some(format!("<outbox-{id}@galley>")))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html),
                    ),
            )?;
        match self {
            Mailer::Smtp(transport, _) => {
                transport.send(email).await?;
            }
            Mailer::Spool(dir, _) => {
                let final_path = dir.join(format!("{id}.eml"));
                let temp = dir.join(format!(".{id}.eml.tmp"));
                tokio::fs::write(&temp, email.formatted()).await?;
                tokio::fs::rename(&temp, &final_path).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_urls_are_dropped_once_sent() {
        let message = |kind: &str| outbox::Message {
            id: 1,
            kind: kind.into(),
            payload: r#"{"link_id":3,"company_id":2,"url":"https://x/r/secret"}"#.into(),
            attempts: 0,
            created_at: 0,
        };
        assert_eq!(
            without_secrets(&message("link_email")).unwrap(),
            r#"{"company_id":2,"link_id":3}"#
        );
        assert_eq!(without_secrets(&message("order_email")), None);
    }
}
