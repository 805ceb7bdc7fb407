//! One order's checks and prices against its product and company: the
//! denomination the product offers, the quantity limit, the receiver
//! e-mail, the country, the exchange rate to the company's base currency,
//! and the discount. Pure: the rate is read by the caller.
//!
//! May touch: `domain::orders`, `domain::catalog`, `domain::money`,
//! `store::ledger` (the account type); no I/O.

use super::{NewOrder, OrderError};
use crate::{
    domain::{
        catalog::Product,
        money::{Currency, Decimal, Money},
        parse_email,
    },
    store::ledger,
};

/// An order's prices, checked against the product and the company.
#[derive(Debug)]
pub(super) struct Priced<'a> {
    /// The product (its currency is the vouchers').
    pub(super) product: &'a Product,
    /// The company's base currency.
    pub(super) base: Currency,
    /// One voucher.
    pub(super) value: Money,
    /// value × quantity.
    pub(super) total: Money,
    /// The product's discount, percent.
    pub(super) discount_percent: Decimal,
    /// `discount_percent` of `total`.
    pub(super) discount: Money,
    /// Base-currency units per voucher-currency unit.
    pub(super) rate: Decimal,
    /// (total − discount) in the base currency, rounded up to a whole minor
    /// unit: always above zero.
    pub(super) charged: Money,
    /// The receiver's address, normalised.
    pub(super) email: Option<String>,
}

/// Checks an order against its product and company; `rate` is the stored
/// exchange rate text from the product's currency to the base currency, if
/// one is set (not needed when the two are the same).
pub(super) fn price<'a>(
    product: &'a Product,
    account: &ledger::Account,
    new: &NewOrder,
    rate: Option<&str>,
) -> Result<Priced<'a>, OrderError> {
    let currency = product.currency;
    let value = Money::parse(&new.denomination, currency).map_err(|e| {
        OrderError::InvalidDenomination(format!("denomination {}: {e}", new.denomination))
    })?;
    if !product.offers(value) {
        return Err(OrderError::InvalidDenomination(format!(
            "product {} has no denomination {}; it offers {}",
            product.id,
            new.denomination,
            product.offered_values()
        )));
    }
    if new.quantity > product.order_quantity_limit {
        return Err(OrderError::QuantityAboveLimit(product.order_quantity_limit));
    }
    let email = match new.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => Some(parse_email(e).map_err(|e| OrderError::Invalid(format!("email: {e}")))?),
        None if new.notify_receiver => {
            return Err(OrderError::Invalid(
                "email is required when notifyReceiverEmail is 1".into(),
            ))
        }
        None => None,
    };
    if let Some(country) = &account.country_code {
        if !product.sold_in(country) {
            return Err(OrderError::CountryNotAllowed(format!(
                "product {} is not available in {country}, the country of your company",
                product.id
            )));
        }
    }
    let base = Currency::parse(&account.base_currency).map_err(OrderError::Invalid)?;
    let rate = match rate {
        _ if currency == base => Decimal::ONE,
        Some(text) => Decimal::parse(text)
            .map_err(|e| OrderError::Internal(anyhow::anyhow!("stored rate {text:?}: {e}")))?,
        None => {
            return Err(OrderError::NotProcessable(format!(
                "no exchange rate from {currency} to {base} is set; ask the operator to run `galley fx set`"
            )))
        }
    };
    let total = Money {
        minor: value
            .minor
            .checked_mul(new.quantity)
            .ok_or_else(|| OrderError::Invalid("quantity is too large".into()))?,
        currency,
    };
    let discount_percent = product.discount;
    let too_large = || OrderError::Invalid("the order's amount is too large".into());
    let discount = discount_percent.percent_of(total).ok_or_else(too_large)?;
    let charged = rate
        .charge(total, discount_percent, base)
        .ok_or_else(too_large)?;
    if charged.minor <= 0 {
        return Err(OrderError::NotProcessable(format!(
            "product {} would be charged nothing; ask the operator to check its price and discount",
            product.id
        )));
    }
    Ok(Priced {
        product,
        base,
        value,
        total,
        discount_percent,
        discount,
        rate,
        charged,
        email,
    })
}
