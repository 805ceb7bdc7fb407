//! Voucher-code inventory: importing codes for a product and denomination,
//! which then fulfils the orders waiting for them.
//!
//! Sits above both [`super::catalog`] (the product and its denominations)
//! and [`super::orders`] (the waiting orders), so that neither of those
//! needs the other's back door: orders reads the catalog, nothing in the
//! catalog reads orders. Touches `store::catalog` (codes) and, through
//! [`orders::fulfil_pending`], the orders and the outbox.
//!
//! May touch: `store::catalog`, `domain::catalog`, `domain::orders`
//! (`fulfil_pending`), `domain::money`, `clock`. Never an entry point.

use super::{
    catalog::{Product, ValueType},
    money::Money,
    orders, Actor, Error, Result,
};
use crate::{
    clock::Clock,
    store::{catalog as catalog_store, Db},
};

/// Imports voucher codes (CSV `code,pin,validity`) for one product and
/// denomination, all or nothing, then gives the orders waiting for them
/// their codes in the same transaction; returns how many were imported.
pub async fn import_codes(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    product_id: i64,
    denomination: &str,
    text: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<usize> {
    let row = catalog_store::find(db.reader(), product_id)
        .await?
        .ok_or(Error::NotFound("product"))?;
    let product = Product::from_row(&row)?;
    let value = Money::parse(denomination, product.currency)
        .map_err(|e| Error::Invalid(format!("denomination: {e}")))?;
    if product.value_type == ValueType::FixedDenomination && !product.offers(value) {
        return Err(Error::Invalid(format!(
            "product {product_id} has no denomination {denomination}; it offers {}",
            product.offered_values()
        )));
    }
    let (mut reader, headers) = super::catalog::csv_reader(text)?;
    if headers.get(0) != Some("code") {
        return Err(Error::Invalid(
            "the CSV header must be code,pin,validity".into(),
        ));
    }
    let mut codes = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let today = crate::clock::day(clock.now_ms());
    for record in reader.records() {
        let record =
            record.map_err(|e| Error::Invalid(format!("the CSV file is malformed: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let code = record.get(0).unwrap_or("").to_string();
        let pin = record.get(1).filter(|p| !p.is_empty()).map(str::to_string);
        let validity = record.get(2).filter(|v| !v.is_empty()).map(str::to_string);
        if code.is_empty() || code.len() > 200 {
            errors.push(format!(
                "line {line}: the code must have 1 to 200 characters"
            ));
        } else if !seen.insert(code.clone()) {
            errors.push(format!(
                "line {line}: code {code} appears twice in the file"
            ));
        }
        if let Some(v) = &validity {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            if time::Date::parse(v, format).is_err() {
                errors.push(format!("line {line}: validity `{v}` must be YYYY-MM-DD"));
            } else if v.as_str() < today.as_str() {
                errors.push(format!(
                    "line {line}: code {code} expired on {v} (validity is the last day it can be used)"
                ));
            }
        }
        lines.push(line);
        codes.push((code, pin, validity));
    }
    let mut tx = db.begin().await?;
    let listed: Vec<&str> = codes.iter().map(|(c, _, _)| c.as_str()).collect();
    let known: std::collections::HashSet<String> =
        catalog_store::existing_codes(&mut tx, product_id, &listed)
            .await?
            .into_iter()
            .collect();
    let clashes: Vec<String> = codes
        .iter()
        .zip(&lines)
        .filter(|((code, _, _), _)| known.contains(code))
        .map(|((code, _, _), line)| format!("line {line}: code {code} is already in the inventory"))
        .collect();
    if !clashes.is_empty() && errors.is_empty() {
        return Err(Error::Conflict(format!(
            "nothing was imported:\n  {}",
            clashes
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        )));
    }
    errors.extend(clashes);
    if !errors.is_empty() {
        return Err(Error::Invalid(format!(
            "nothing was imported:\n  {}",
            errors
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        )));
    }
    if codes.is_empty() {
        return Err(Error::Invalid("the file has no codes".into()));
    }
    let total = codes.len();
    for (done, chunk) in codes.chunks(500).enumerate() {
        match catalog_store::insert_codes(&mut tx, product_id, value.minor, chunk, clock.now_ms())
            .await
        {
            Ok(()) => progress(((done + 1) * 500).min(total), total),
            Err(e) if e.is_unique_violation() => {
                return Err(Error::Conflict(
                    "a code in the file is already in the inventory; nothing was imported".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Canceling a waiting order locks the product too: the two take turns,
    // so an order is fulfilled or canceled, never both.
    crate::store::orders::lock_product(&mut tx, product_id).await?;
    orders::fulfil_pending(&mut tx, product_id, value.minor, clock.now_ms()).await?;
    super::record(
        &mut tx,
        actor,
        None,
        "codes.imported",
        &format!("product:{product_id}"),
        serde_json::json!({ "denomination_minor": value.minor, "codes": total }),
        clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(total)
}
