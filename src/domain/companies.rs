//! Creating companies together with their first (super) admin.
//!
//! May touch: `store::companies`, the audit trail (`domain::record`),
//! `domain::passwords`, `domain::money`, `config` (`Redacted`), `clock`.
//! Never an entry point.

use serde_json::json;

use super::{check_name, money::Currency, parse_email, passwords, Actor, Error, Result};
use crate::{
    clock::Clock,
    store::{companies, Db},
};

/// Input of [`create`].
#[derive(Debug)]
pub struct NewCompany {
    /// Display name.
    pub name: String,
    /// Charged currency, e.g. `INR`.
    pub base_currency: String,
    /// ISO 3166 alpha-2 country of its recipients (optional): products not
    /// available there cannot be ordered.
    pub country: Option<String>,
    /// First admin's e-mail address.
    pub admin_email: String,
    /// First admin's password.
    pub admin_password: crate::config::Redacted<String>,
}

/// What [`create`] made.
#[derive(Debug, Clone, Copy)]
pub struct CreatedCompany {
    /// The company.
    pub company_id: i64,
    /// Its super admin.
    pub admin_id: i64,
}

/// Creates a company and its super admin in one transaction.
#[tracing::instrument(skip_all, fields(name = %new.name))]
pub async fn create(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    new: NewCompany,
) -> Result<CreatedCompany> {
    let name = check_name("company name", &new.name, 200)?;
    let currency = Currency::parse(&new.base_currency).map_err(Error::Invalid)?;
    let email = parse_email(&new.admin_email)?;
    let country = match new.country.as_deref().map(str::trim) {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(c) => {
            return Err(Error::Invalid(format!(
                "`{}` is not a two-letter country code such as IN",
                super::scopes::truncate(c, 8)
            )))
        }
        None => None,
    };
    passwords::check_rules(new.admin_password.expose()).map_err(Error::Invalid)?;
    let password_hash = passwords::hash(new.admin_password.0).await?;

    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let company_id =
        companies::insert(&mut tx, &name, currency.as_str(), country.as_deref(), now).await?;
    let admin_id = match companies::insert_admin(
        &mut tx,
        company_id,
        &email,
        &password_hash,
        "super_admin",
        now,
    )
    .await
    {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(Error::Conflict(format!(
                "an admin with e-mail {email} already exists"
            )))
        }
        Err(e) => return Err(e.into()),
    };
    super::record(
        &mut tx,
        actor,
        company_id,
        "company.created",
        &format!("company:{company_id}"),
        json!({ "name": name, "base_currency": currency.as_str(), "admin_id": admin_id }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedCompany {
        company_id,
        admin_id,
    })
}
