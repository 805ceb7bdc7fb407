//! The company ledger: append-only entries whose sum is the balance.
//!
//! May touch: `store::ledger`, `store::companies`, the audit trail
//! (`domain::record`), `domain::money`, `clock`. Never an entry point.

use serde_json::json;

use super::{
    money::{Currency, Money},
    Actor, Error, Result,
};
use crate::{
    clock::Clock,
    store::{companies, ledger, Db},
};

/// Kind of a ledger entry that adds funds.
pub const FUND: &str = "fund";

/// Kind of a ledger entry that takes funds back (`galley funds deduct`).
pub const DEDUCT: &str = "deduct";

/// `amount` as a positive amount of the company's base currency.
async fn amount_of(db: &Db, company_id: i64, amount: &str) -> Result<Money> {
    let company = companies::find(db.reader(), company_id)
        .await?
        .ok_or(Error::NotFound("company"))?;
    let currency = Currency::parse(&company.base_currency).map_err(corrupt)?;
    let money = Money::parse(amount, currency).map_err(Error::Invalid)?;
    if money.minor == 0 {
        return Err(Error::Invalid("amount must be greater than zero".into()));
    }
    Ok(money)
}

/// Records the operator's change of funds (`entry`, an amount of the
/// ledger) in the audit trail.
async fn record_funds(
    tx: &mut crate::store::Tx,
    actor: &Actor,
    company_id: i64,
    action: &str,
    entry: i64,
    money: Money,
    now: i64,
) -> Result<()> {
    let detail = json!({ "amount_minor": money.minor, "currency": money.currency.as_str() });
    super::record(
        tx,
        actor,
        company_id,
        action,
        &format!("ledger_entry:{entry}"),
        detail,
        now,
    )
    .await?;
    Ok(())
}

/// Adds `amount` (a decimal in the company's base currency) to its balance;
/// returns the new balance.
#[tracing::instrument(skip(db, clock))]
pub async fn add_funds(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    amount: &str,
) -> Result<Money> {
    let money = amount_of(db, company_id, amount).await?;
    let currency = money.currency;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let entry = ledger::append(
        &mut tx,
        company_id,
        FUND,
        money.minor,
        currency.as_str(),
        None,
        now,
    )
    .await?;
    record_funds(&mut tx, actor, company_id, "funds.added", entry, money, now).await?;
    let balance = ledger::balance(&mut *tx, company_id).await?;
    tx.commit().await?;
    Ok(Money {
        minor: balance,
        currency,
    })
}

/// Takes `amount` (a decimal in the company's base currency) off its balance,
/// the operator's correction of [`add_funds`]; returns the new balance. The
/// balance never goes below zero: the check and the debit are one
/// conditional update under the company's row lock, in the transaction that
/// appends the (negative) `deduct` entry and the audit record.
#[tracing::instrument(skip(db, clock))]
pub async fn deduct_funds(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    amount: &str,
) -> Result<Money> {
    let money = amount_of(db, company_id, amount).await?;
    let currency = money.currency;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let Some(balance) = ledger::debit(&mut tx, company_id, money.minor).await? else {
        let balance = Money {
            minor: ledger::balance(&mut *tx, company_id).await?,
            currency,
        };
        return Err(Error::Invalid(format!(
            "cannot deduct {money}: the balance of company {company_id} is {balance} \
             and may not go below zero"
        )));
    };
    let entry = ledger::insert_entry(
        &mut tx,
        company_id,
        DEDUCT,
        -money.minor,
        currency.as_str(),
        None,
        now,
    )
    .await?;
    record_funds(
        &mut tx,
        actor,
        company_id,
        "funds.deducted",
        entry,
        money,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Money {
        minor: balance,
        currency,
    })
}

/// The company's balance in its base currency.
pub async fn balance(db: &Db, company_id: i64) -> Result<Money> {
    let company = companies::find(db.reader(), company_id)
        .await?
        .ok_or(Error::NotFound("company"))?;
    let currency = Currency::parse(&company.base_currency).map_err(corrupt)?;
    Ok(Money {
        minor: ledger::balance(db.reader(), company_id).await?,
        currency,
    })
}

/// Stored data that fails validation is an internal error, not the caller's.
fn corrupt(msg: String) -> Error {
    Error::Internal(anyhow::anyhow!("stored data is invalid: {msg}"))
}
