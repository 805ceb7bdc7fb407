//! Storefront users (sign-up and password log-in) and the log-in of
//! company admins on the same pages.
//!
//! May touch: `store` (`users`; `companies` for the admins' log-in), the
//! audit trail (`domain::record`), `domain::passwords`, `clock`. Never an
//! entry point.

use serde_json::json;

use super::{check_name, parse_email, passwords, Actor, Error, Result};
use crate::{
    clock::Clock,
    store::{outbox, users, Db},
};

/// How long a sign-up confirmation link works.
pub const CONFIRM_TTL_MS: i64 = 24 * 3600 * 1000;
/// Outbox kind of the e-mail with a sign-up confirmation link.
pub const SIGNUP_CONFIRM: &str = "signup_confirm";
/// Outbox kind of the e-mail sent instead when the address has an account.
pub const SIGNUP_EXISTING: &str = "signup_existing";

/// A sign-up as typed on the sign-up page.
pub struct SignUp<'a> {
    /// The company the account will belong to.
    pub company_id: i64,
    /// The app the user signs up through.
    pub client_id: &'a str,
    /// The app's name, for the e-mail.
    pub client_name: &'a str,
    /// The user's name.
    pub name: &'a str,
    /// The e-mail address.
    pub email: &'a str,
    /// The chosen password.
    pub password: String,
    /// The authorization request to go back to, as a query string.
    pub return_query: String,
}

/// Starts a sign-up: checks what was typed, then e-mails the address —
/// a confirmation link when it has no account in the company, or a note
/// pointing to the log-in when it has one. The answer is the same in both
/// cases (and costs the same argon2 work), so the page tells nobody which
/// addresses have accounts. `confirm_url` builds the link from its token;
/// `login_url` is where an existing user logs in.
///
/// At most [`super::attempts::EMAILS_PER_ADDRESS`] such e-mails go to one
/// address per window; further requests are answered the same way and
/// send nothing.
pub async fn request_sign_up(
    db: &Db,
    clock: &dyn Clock,
    sign_up: SignUp<'_>,
    confirm_url: impl Fn(&str) -> String,
    login_url: &str,
) -> Result<()> {
    let name = check_name("name", sign_up.name, 100)?;
    let email = parse_email(sign_up.email)?;
    passwords::check_rules(&sign_up.password).map_err(Error::Invalid)?;
    let password_hash = passwords::hash(sign_up.password).await?;
    let now = clock.now_ms();
    let key = format!("company:{}:{email}", sign_up.company_id);
    if !super::attempts::reserve_sign_up_email(db, now, &key).await? {
        return Ok(());
    }
    let existing = users::find_by_email(db.reader(), sign_up.company_id, &email).await?;
    let mut tx = db.begin().await?;
    users::delete_stale_pending(&mut tx, now).await?;
    let (kind, url) = match existing {
        Some(_) => (SIGNUP_EXISTING, login_url.to_string()),
        None => {
            let token = crate::crypto::new_secret("gly_su_");
            let pending = users::PendingSignUp {
                id: 0,
                company_id: sign_up.company_id,
                client_id: sign_up.client_id.to_string(),
                name,
                email: email.clone(),
                password_hash,
                return_query: sign_up.return_query,
            };
            let hash = crate::crypto::hash_secret(&token);
            users::insert_pending(&mut tx, &hash, &pending, now, now + CONFIRM_TTL_MS).await?;
            (SIGNUP_CONFIRM, confirm_url(&token))
        }
    };
    let payload = json!({
        "to": email, "company_id": sign_up.company_id, "app": sign_up.client_name, "url": url,
    });
    outbox::enqueue(&mut tx, kind, &payload, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `token` is a sign-up confirmation that still works.
pub async fn pending_sign_up(
    db: &Db,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<users::PendingSignUp>> {
    let hash = crate::crypto::hash_secret(token);
    Ok(users::pending(db.reader(), &hash, clock.now_ms()).await?)
}

/// Finishes a sign-up with the token from its e-mail: makes the account
/// (and its `user.signed_up` audit record) and uses the token up, all in
/// one transaction. Returns the user and the authorization request to go
/// back to; `None` when the token is unknown, used or expired.
pub async fn confirm_sign_up(
    db: &Db,
    clock: &dyn Clock,
    token: &str,
) -> Result<Option<(i64, String)>> {
    let Some(pending) = pending_sign_up(db, clock, token).await? else {
        return Ok(None);
    };
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !users::use_pending(&mut tx, pending.id, now).await? {
        return Ok(None);
    }
    let inserted = users::insert(
        &mut tx,
        pending.company_id,
        &pending.name,
        &pending.email,
        &pending.password_hash,
        now,
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(Error::Invalid(
                "an account with this e-mail address was made meanwhile; log in instead".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    super::record(
        &mut tx,
        &Actor::User(id),
        pending.company_id,
        "user.signed_up",
        &format!("client:{}", pending.client_id),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some((id, pending.return_query)))
}

/// The admin with this e-mail address and password (any company: admin
/// addresses are unique). Costs the same whether or not the address
/// exists.
pub async fn admin_log_in(
    db: &Db,
    email: &str,
    password: String,
) -> Result<Option<crate::store::companies::AdminRow>> {
    let Ok(email) = parse_email(email) else {
        return Ok(None);
    };
    if password.chars().count() > passwords::MAX_LENGTH {
        return Ok(None);
    }
    let admin = crate::store::companies::find_admin_by_email(db.reader(), &email).await?;
    let stored = match &admin {
        Some(admin) => admin.password_hash.clone(),
        None => dummy_hash().await.to_string(),
    };
    let ok = passwords::verify(password, stored).await?;
    Ok(admin.filter(|_| ok))
}

/// A PHC string that never verifies, hashed once, so that an unknown e-mail
/// address costs the same argon2 work as a wrong password.
pub(super) async fn dummy_hash() -> &'static str {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        passwords::hash("galley-dummy-password".into())
            .await
            .unwrap_or_default()
    })
    .await
}

/// The user of `company_id` with this e-mail address and password.
pub async fn log_in(
    db: &Db,
    company_id: i64,
    email: &str,
    password: String,
) -> Result<Option<users::UserRow>> {
    let Ok(email) = parse_email(email) else {
        return Ok(None);
    };
    if password.chars().count() > passwords::MAX_LENGTH {
        return Ok(None);
    }
    let user = users::find_by_email(db.reader(), company_id, &email).await?;
    let stored = match &user {
        Some(user) => user.password_hash.clone(),
        None => dummy_hash().await.to_string(),
    };
    let ok = passwords::verify(password, stored).await?;
    Ok(user.filter(|_| ok))
}
