//! Creating companies together with their first (super) admin; adding,
//! listing and removing admins afterwards (a company always keeps at least
//! one super admin).
//!
//! May touch: `store::companies`, `store::ledger` (the company row lock),
//! the audit trail (`domain::record`),
//! `domain::passwords`, `domain::money`, `config` (`Redacted`), `clock`.
//! Never an entry point.

use serde_json::json;

use super::{check_name, money::Currency, parse_email, passwords, Actor, Error, Result};
use crate::{
    clock::Clock,
    config::Redacted,
    store::{companies, companies::AdminRow, ledger, Db},
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
    let admin_id = insert_admin(
        &mut tx,
        company_id,
        &email,
        &password_hash,
        AdminRole::SuperAdmin,
        now,
    )
    .await?;
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

/// What an admin may do in their company: a super admin also manages the
/// other admins; every company keeps at least one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminRole {
    /// `super_admin`.
    SuperAdmin,
    /// `admin`.
    Admin,
}

impl AdminRole {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::SuperAdmin => "super_admin",
            AdminRole::Admin => "admin",
        }
    }
}

impl std::str::FromStr for AdminRole {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "super_admin" => Ok(AdminRole::SuperAdmin),
            "admin" => Ok(AdminRole::Admin),
            other => Err(format!("unknown admin role `{other}`")),
        }
    }
}

/// An admin as the operator sees it (no password hash).
#[derive(Clone, Debug)]
pub struct Admin {
    /// Id.
    pub id: i64,
    /// The company.
    pub company_id: i64,
    /// Lower-cased e-mail address.
    pub email: String,
    /// Role.
    pub role: AdminRole,
}

impl TryFrom<AdminRow> for Admin {
    type Error = Error;

    fn try_from(row: AdminRow) -> Result<Self> {
        Ok(Admin {
            id: row.id,
            company_id: row.company_id,
            role: row
                .role
                .parse()
                .map_err(|e: String| Error::Internal(anyhow::anyhow!(e)))?,
            email: row.email,
        })
    }
}

/// Adds an admin to a company. The e-mail address is unique across every
/// company's admins; the password is hashed with argon2. Returns the admin.
#[tracing::instrument(skip(db, clock, password))]
pub async fn add_admin(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    email: &str,
    password: Redacted<String>,
    role: AdminRole,
) -> Result<Admin> {
    let email = parse_email(email)?;
    passwords::check_rules(password.expose()).map_err(Error::Invalid)?;
    if companies::find(db.reader(), company_id).await?.is_none() {
        return Err(Error::NotFound("company"));
    }
    let password_hash = passwords::hash(password.0).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let admin_id = insert_admin(&mut tx, company_id, &email, &password_hash, role, now).await?;
    super::record(
        &mut tx,
        actor,
        company_id,
        "admin.added",
        &format!("admin:{admin_id}"),
        json!({ "email": email, "role": role.as_str() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Admin {
        id: admin_id,
        company_id,
        email,
        role,
    })
}

/// Removes the admin with this e-mail address: their tokens are revoked,
/// their sessions and unused codes dropped. The company's last super admin
/// cannot be removed; the check and the deletion run in one transaction
/// under the company's row lock, so two concurrent removals cannot both
/// pass it. Returns the removed admin.
#[tracing::instrument(skip(db, clock))]
pub async fn remove_admin(db: &Db, clock: &dyn Clock, actor: &Actor, email: &str) -> Result<Admin> {
    let email = parse_email(email)?;
    let found = companies::find_admin_by_email(db.reader(), &email)
        .await?
        .ok_or(Error::NotFound("admin"))?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    ledger::lock_account(&mut tx, found.company_id)
        .await?
        .ok_or(Error::NotFound("company"))?;
    // Read again under the lock: a concurrent removal may have won.
    let admin: Admin = companies::find_admin_by_email(&mut *tx, &email)
        .await?
        .filter(|a| a.company_id == found.company_id)
        .ok_or(Error::NotFound("admin"))?
        .try_into()?;
    if admin.role == AdminRole::SuperAdmin
        && companies::count_super_admins(&mut tx, admin.company_id).await? <= 1
    {
        return Err(Error::Invalid(format!(
            "{email} is the last super admin of company {}: add another super admin \
             (galley admin add --super) before removing this one",
            admin.company_id
        )));
    }
    let revoked = companies::delete_admin(&mut tx, admin.id, now)
        .await?
        .ok_or(Error::NotFound("admin"))?;
    super::record(
        &mut tx,
        actor,
        admin.company_id,
        "admin.removed",
        &format!("admin:{}", admin.id),
        json!({ "email": email, "role": admin.role.as_str(), "revoked_tokens": revoked }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(admin)
}

/// A company's admins, super admins first.
pub async fn list_admins(db: &Db, company_id: i64) -> Result<Vec<Admin>> {
    if companies::find(db.reader(), company_id).await?.is_none() {
        return Err(Error::NotFound("company"));
    }
    companies::list_admins(db.reader(), company_id)
        .await?
        .into_iter()
        .map(Admin::try_from)
        .collect()
}

/// Stores an admin; an e-mail address any admin has already is a conflict.
async fn insert_admin(
    tx: &mut crate::store::Tx,
    company_id: i64,
    email: &str,
    password_hash: &str,
    role: AdminRole,
    now: i64,
) -> Result<i64> {
    match companies::insert_admin(tx, company_id, email, password_hash, role.as_str(), now).await {
        Ok(id) => Ok(id),
        Err(e) if e.is_unique_violation() => Err(Error::Conflict(format!(
            "an admin with e-mail {email} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}
