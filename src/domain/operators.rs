//! The people the server's operator names to review public apps on the
//! operator pages (`galley operator add|list|remove`). They belong to no
//! company; their changes are recorded with no company, as `operator:<id>`.
//!
//! May touch: `store::operators`, the audit trail, `domain::passwords`,
//! `clock`. Never an entry point.

use serde_json::json;

use super::{parse_email, passwords, Actor, Error, Result};
use crate::{
    clock::Clock,
    config::Redacted,
    store::{operators, Db},
};

pub use operators::OperatorRow;

/// Names a reviewer; returns their id.
pub async fn add(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    email: &str,
    password: Redacted<String>,
) -> Result<i64> {
    let email = parse_email(email)?;
    passwords::check_rules(password.expose()).map_err(Error::Invalid)?;
    let hash = passwords::hash(password.0).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let id = match operators::insert(&mut tx, &email, &hash, now).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(Error::Conflict(format!("{email} is an operator already")))
        }
        Err(e) => return Err(e.into()),
    };
    super::record(
        &mut tx,
        actor,
        None,
        "operator.added",
        &format!("operator:{id}"),
        json!({ "email": email }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a reviewer (their sessions end).
pub async fn remove(db: &Db, clock: &dyn Clock, actor: &Actor, email: &str) -> Result<()> {
    let email = parse_email(email)?;
    let found = operators::find_by_email(db.reader(), &email)
        .await?
        .ok_or(Error::NotFound("operator"))?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !operators::delete(&mut tx, found.id).await? {
        return Err(Error::NotFound("operator"));
    }
    super::record(
        &mut tx,
        actor,
        None,
        "operator.removed",
        &format!("operator:{}", found.id),
        json!({ "email": email }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every reviewer's e-mail address.
pub async fn list(db: &Db) -> Result<Vec<String>> {
    Ok(operators::list(db.reader())
        .await?
        .into_iter()
        .map(|o| o.email)
        .collect())
}

/// The reviewer with this e-mail address and password; costs the same
/// argon2 work whether or not the address exists.
pub async fn log_in(db: &Db, email: &str, password: String) -> Result<Option<OperatorRow>> {
    let Ok(email) = parse_email(email) else {
        return Ok(None);
    };
    if password.chars().count() > passwords::MAX_LENGTH {
        return Ok(None);
    }
    let found = operators::find_by_email(db.reader(), &email).await?;
    let stored = match &found {
        Some(o) => o.password_hash.clone(),
        None => super::users::dummy_hash().await.to_string(),
    };
    let ok = passwords::verify(password, stored).await?;
    Ok(found.filter(|_| ok))
}
