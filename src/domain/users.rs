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
    store::{users, Db},
};

/// Signs a user up in `company_id` through the app `client_id`; returns
/// the user id. The account and its audit record are written together.
pub async fn sign_up(
    db: &Db,
    clock: &dyn Clock,
    company_id: i64,
    client_id: &str,
    name: &str,
    email: &str,
    password: String,
) -> Result<i64> {
    let name = check_name("name", name, 100)?;
    let email = parse_email(email)?;
    passwords::check_rules(&password).map_err(Error::Invalid)?;
    if users::find_by_email(db.reader(), company_id, &email)
        .await?
        .is_some()
    {
        return Err(Error::Invalid(
            "an account with this e-mail address already exists; log in instead".into(),
        ));
    }
    let hash = passwords::hash(password).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let id = match users::insert(&mut tx, company_id, &name, &email, &hash, now).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(Error::Invalid(
                "an account with this e-mail address already exists; log in instead".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    super::record(
        &mut tx,
        &Actor::User(id),
        company_id,
        "user.signed_up",
        &format!("client:{client_id}"),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
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
async fn dummy_hash() -> &'static str {
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
