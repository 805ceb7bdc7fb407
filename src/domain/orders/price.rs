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
    let email = receiver(new)?;
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

/// The receiver's e-mail address, checked (required with
/// `notifyReceiverEmail`). The desk checks it before it looks for an
/// earlier order of the same `poNumber`, so a retry with a wrong address
/// is refused like a first request.
pub(super) fn receiver(new: &NewOrder) -> Result<Option<String>, OrderError> {
    match new.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => Ok(Some(
            parse_email(e).map_err(|e| OrderError::Invalid(format!("email: {e}")))?,
        )),
        None if new.notify_receiver => Err(OrderError::Invalid(
            "email is required when notifyReceiverEmail is 1".into(),
        )),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::store::catalog::ProductRow;

    /// Currencies with 0, 2 and 3 decimals.
    const CURRENCIES: [&str; 4] = ["INR", "USD", "VND", "KWD"];

    fn decimal_text(units: u64, decimals: u32) -> String {
        if decimals == 0 {
            return units.to_string();
        }
        let div = 10u64.pow(decimals);
        format!(
            "{}.{:0width$}",
            units / div,
            units % div,
            width = decimals as usize
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the product, rate, quantity and denomination: no panic;
        /// an accepted order is charged above zero, exactly the discounted
        /// value at the rate rounded up to one minor unit of the base.
        #[test]
        fn accepted_orders_are_charged_exactly_and_above_zero(
            voucher in 0..4usize,
            base in 0..4usize,
            open in any::<bool>(),
            (min, max) in (1u64..1_000_000_000, 1u64..1_000_000_000_000).prop_map(|(a, b)| (a.min(b), a.max(b))),
            denomination in prop_oneof![Just(None), (1u64..100_000).prop_map(Some), any::<u64>().prop_map(Some)],
            quantity in 1i64..10_000,
            discount_bp in 0u64..10_000,
            rate_units in 1u64..10_000_000_000,
            rate_decimals in 0u32..=8,
        ) {
            let (voucher, base) = (CURRENCIES[voucher], CURRENCIES[base]);
            let exp = Currency::parse(voucher).unwrap().exponent();
            let offered = decimal_text(min, exp);
            let denomination = denomination.map_or_else(|| offered.clone(), |d| decimal_text(d, exp));
            let row = ProductRow {
                id: 1,
                currency_code: voucher.into(),
                countries: "[]".into(),
                value_type: if open { "open_value" } else { "fixed_denomination" }.into(),
                min_value: decimal_text(min, exp),
                max_value: decimal_text(max, exp),
                denominations: offered,
                delivery_type: "realtime".into(),
                kind: "generated".into(),
                discount: decimal_text(discount_bp, 2),
                order_quantity_limit: 10_000,
                ..ProductRow::default()
            };
            let product = Product::from_row(&row).expect("bounds the import accepts");
            let account = ledger::Account {
                balance_minor: i64::MAX,
                base_currency: base.into(),
                country_code: None,
            };
            let new = NewOrder {
                product_id: 1,
                quantity,
                denomination,
                email: None,
                contact: None,
                tag: None,
                po_number: "P".into(),
                notify_receiver: false,
                notify_admin: false,
            };
            let rate = decimal_text(rate_units, rate_decimals);
            let Ok(priced) = price(&product, &account, &new, Some(&rate)) else {
                return Ok(());
            };
            prop_assert!(priced.charged.minor > 0);
            prop_assert_eq!(priced.charged.currency.as_str(), base);
            // The exact charge as a fraction num / den of base minor units.
            let rate = if voucher == base { Decimal::ONE } else { Decimal::parse(&rate).unwrap() };
            let (rate_m, rate_s) = Decimal::parts(&rate);
            let num = i128::from(priced.total.minor)
                * i128::from(10_000 - discount_bp as i64)
                * rate_m
                * 10i128.pow(priced.base.exponent());
            let den = 10_000 * 10i128.pow(rate_s) * 10i128.pow(priced.total.currency.exponent());
            let charged = i128::from(priced.charged.minor);
            prop_assert!((charged - 1) * den < num && num <= charged * den,
                "charged {} for {}/{}", charged, num, den);
        }
    }
}
