//! Xoxo Link campaigns: a value in a currency, a country, and the products
//! a recipient may choose from. Every product must sell vouchers of exactly
//! that value in that currency and country, so that any choice can be
//! fulfilled at the price already charged.
//!
//! May touch: `store` (`links`, `catalog`, `companies`, `ledger`), the
//! audit trail (`domain::record`), `domain::catalog`, `domain::money`,
//! `clock`. Never an entry point.

use std::collections::HashSet;

use serde_json::json;

use super::{
    catalog::Product,
    check_name,
    money::{Currency, Money},
    Actor, Error, Result,
};
use crate::{
    clock::Clock,
    store::{catalog as catalog_store, companies, links, Db},
};

/// Most products one campaign may offer.
pub const MAX_PRODUCTS: usize = 100;

/// A campaign to create (CLI and portal input, unvalidated).
#[derive(Clone, Debug)]
pub struct NewCampaign {
    /// Owning company.
    pub company_id: i64,
    /// Name shown to the company and to recipients.
    pub name: String,
    /// Value of each link, e.g. `500`.
    pub denomination: String,
    /// Currency of that value, e.g. `INR`.
    pub currency: String,
    /// Country: ISO 3166 alpha-2 (`IN`) or its name as the catalog spells it.
    pub country: String,
    /// Products to choose from, in display order.
    pub product_ids: Vec<i64>,
}

/// Most characters of a campaign's description.
pub const MAX_DESCRIPTION: usize = 2000;

/// Creates a campaign (enabled); returns its id.
pub async fn create(db: &Db, clock: &dyn Clock, actor: &Actor, new: NewCampaign) -> Result<i64> {
    create_described(db, clock, actor, new, "").await
}

/// Checks a description: trimmed, at most [`MAX_DESCRIPTION`] characters,
/// no control characters but line breaks and tabs.
fn check_description(text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Error::Invalid(format!(
            "description must have at most {MAX_DESCRIPTION} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::Invalid(
            "description must not contain control characters".into(),
        ));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// Creates a campaign (enabled) with a description (the portal's form);
/// returns its id.
pub async fn create_described(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    new: NewCampaign,
    description: &str,
) -> Result<i64> {
    let description = check_description(description)?;
    companies::find(db.reader(), new.company_id)
        .await?
        .ok_or(Error::NotFound("company"))?;
    let name = check_name("name", &new.name, 120)?;
    let currency = Currency::parse(&new.currency).map_err(Error::Invalid)?;
    let value = Money::parse(&new.denomination, currency)
        .map_err(|e| Error::Invalid(format!("denomination: {e}")))?;
    if value.minor == 0 {
        return Err(Error::Invalid(
            "denomination must be greater than zero".into(),
        ));
    }
    if new.product_ids.is_empty() {
        return Err(Error::Invalid(
            "a campaign needs at least one product (--products ID,ID)".into(),
        ));
    }
    if new.product_ids.len() > MAX_PRODUCTS {
        return Err(Error::Invalid(format!(
            "a campaign may offer at most {MAX_PRODUCTS} products"
        )));
    }
    let mut seen = HashSet::new();
    let mut products = Vec::with_capacity(new.product_ids.len());
    for id in &new.product_ids {
        if !seen.insert(*id) {
            return Err(Error::Invalid(format!("product {id} is listed twice")));
        }
        let row = catalog_store::find(db.reader(), *id)
            .await?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "product {id} is not in the catalog (see `galley catalog import`)"
                ))
            })?;
        let product = Product::from_row(&row)?;
        if product.currency != currency {
            return Err(Error::Invalid(format!(
                "product {id} is sold in {}, not in the campaign's currency {currency}",
                product.currency
            )));
        }
        if !product.offers(value) {
            return Err(Error::Invalid(format!(
                "product {id} has no {value} voucher; it offers {}",
                product.offered_values()
            )));
        }
        products.push(product);
    }
    let wanted = new.country.trim();
    let (country_code, country_name) = products[0]
        .countries
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(wanted) || name.eq_ignore_ascii_case(wanted))
        .cloned()
        .ok_or_else(|| {
            Error::Invalid(format!(
                "product {} is not sold in `{}`",
                products[0].id,
                super::scopes::truncate(wanted, 40)
            ))
        })?;
    if let Some(p) = products.iter().find(|p| !p.sold_in(&country_code)) {
        return Err(Error::Invalid(format!(
            "product {} is not sold in {country_name}",
            p.id
        )));
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let id = links::insert_campaign(
        &mut tx,
        &links::NewCampaign {
            company_id: new.company_id,
            name: &name,
            denomination_minor: value.minor,
            currency_code: currency.as_str(),
            country_code: &country_code,
            country_name: &country_name,
            product_ids: &new.product_ids,
        },
        now,
    )
    .await?;
    if !description.is_empty() {
        links::update_campaign(&mut tx, id, &name, &description).await?;
    }
    super::record(
        &mut tx,
        actor,
        new.company_id,
        "campaign.created",
        &format!("campaign:{id}"),
        json!({ "name": name, "denomination_minor": value.minor, "currency": currency.as_str() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a company's campaign and sets its description.
pub async fn edit(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    id: i64,
    name: &str,
    description: &str,
) -> Result<()> {
    let name = check_name("name", name, 120)?;
    let description = check_description(description)?;
    let before = links::find_campaign(db.reader(), company_id, id)
        .await?
        .ok_or(Error::NotFound("campaign"))?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !links::update_campaign(&mut tx, id, &name, &description).await? {
        return Err(Error::NotFound("campaign"));
    }
    super::record(
        &mut tx,
        actor,
        company_id,
        "campaign.edited",
        &format!("campaign:{id}"),
        json!({ "name": name, "previous_name": before.name, "description_changed": before.description != description }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enables or disables a campaign (disabled: no new links; existing links
/// stay redeemable).
pub async fn set_enabled(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    id: i64,
    enabled: bool,
) -> Result<()> {
    let campaign = links::campaign_by_id(db.reader(), id)
        .await?
        .ok_or(Error::NotFound("campaign"))?;
    let mut tx = db.begin().await?;
    if !links::set_enabled(&mut tx, id, enabled).await? {
        return Err(Error::NotFound("campaign"));
    }
    let action = if enabled {
        "campaign.enabled"
    } else {
        "campaign.disabled"
    };
    record(
        &mut tx,
        actor,
        campaign.company_id,
        action,
        id,
        clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a campaign that has no live links (links that can still be
/// redeemed); its redeemed and expired links stay in the reports.
pub async fn delete(db: &Db, clock: &dyn Clock, actor: &Actor, id: i64) -> Result<()> {
    let campaign = links::campaign_by_id(db.reader(), id)
        .await?
        .ok_or(Error::NotFound("campaign"))?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    // The company's lock orders this check before any link generation that
    // could follow it (generation takes the same lock).
    crate::store::ledger::lock_balance(&mut tx, campaign.company_id).await?;
    let live = links::live_links(&mut tx, id, now).await?;
    if live > 0 {
        return Err(Error::Invalid(format!(
            "campaign {id} has {live} link(s) that can still be redeemed; disable it instead, or delete it after they expire"
        )));
    }
    if !links::delete_campaign(&mut tx, id, now).await? {
        return Err(Error::NotFound("campaign"));
    }
    record(
        &mut tx,
        actor,
        campaign.company_id,
        "campaign.deleted",
        id,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn record(
    tx: &mut crate::store::Tx,
    actor: &Actor,
    company_id: i64,
    action: &str,
    id: i64,
    now: i64,
) -> Result<()> {
    super::record(
        tx,
        actor,
        company_id,
        action,
        &format!("campaign:{id}"),
        json!({}),
        now,
    )
    .await?;
    Ok(())
}
