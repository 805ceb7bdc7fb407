//! Placing orders: one transaction checks the product, denomination,
//! quantity and balance, allocates distinct codes (or mints them), debits
//! the ledger and records the order — or does nothing. The client's
//! `poNumber` makes it idempotent per company.

use serde_json::json;

use super::{
    catalog,
    money::{Currency, Decimal, Money},
    parse_email,
};
use crate::{
    clock::Clock,
    crypto,
    store::{
        catalog as catalog_store, companies, ledger,
        orders::{self, CodeRow, OrderRow},
        Db, StoreError,
    },
};

/// Why an order was not placed (each maps to one error id of the API).
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// A field is wrong (`PLE10001`).
    #[error("{0}")]
    Invalid(String),
    /// No such product (`PLE10030`).
    #[error("product not found")]
    ProductNotFound,
    /// The product has no such denomination (`PLE10018`).
    #[error("{0}")]
    InvalidDenomination(String),
    /// More vouchers than the product allows per order (`PLE10041`).
    #[error("quantity is above the product's limit of {0} per order")]
    QuantityAboveLimit(i64),
    /// The product is not available in the company's country (`PLE10019`).
    #[error("{0}")]
    CountryNotAllowed(String),
    /// Not enough inventory, balance, or no exchange rate (`PLE10012`).
    #[error("{0}")]
    NotProcessable(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else unexpected (stored data that fails validation).
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for OrderError {
    fn from(e: sqlx::Error) -> Self {
        OrderError::Store(e.into())
    }
}

impl From<super::Error> for OrderError {
    fn from(e: super::Error) -> Self {
        match e {
            super::Error::Invalid(m) => OrderError::Invalid(m),
            super::Error::NotFound(_) => OrderError::ProductNotFound,
            super::Error::Store(s) => OrderError::Store(s),
            super::Error::Internal(e) => OrderError::Internal(e),
        }
    }
}

/// An order request.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Product.
    pub product_id: i64,
    /// Number of vouchers.
    pub quantity: i64,
    /// Voucher value as decimal text.
    pub denomination: String,
    /// Receiver e-mail (required to notify the receiver).
    pub email: Option<String>,
    /// Receiver phone.
    pub contact: Option<String>,
    /// Client's tag.
    pub tag: Option<String>,
    /// Idempotency key.
    pub po_number: String,
    /// E-mail the codes to `email`.
    pub notify_receiver: bool,
    /// E-mail an order summary (without codes) to the company's admins.
    pub notify_admin: bool,
}

/// A placed (or earlier) order with its codes.
#[derive(Debug)]
pub struct Placed {
    /// The order.
    pub order: OrderRow,
    /// Its codes.
    pub codes: Vec<CodeRow>,
    /// False when `poNumber` matched an earlier order.
    pub created: bool,
    /// The product's country code (for the voucher list).
    pub country: String,
}

/// Unambiguous alphabet (Crockford base 32: no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new voucher code: 16 symbols of 5 bits = 80 random bits, `XXXX-XXXX-XXXX-XXXX`.
pub fn mint_code() -> String {
    let bytes = crypto::random_bytes::<10>();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | b as u128;
    }
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[((bits >> (75 - i * 5)) & 31) as usize] as char);
    }
    out
}

/// Places an order for `company_id` (see module docs).
pub async fn place(
    db: &Db,
    clock: &dyn Clock,
    company_id: i64,
    new: NewOrder,
) -> Result<Placed, OrderError> {
    if let Some(existing) = orders::find_by_po(db.reader(), company_id, &new.po_number).await? {
        return existing_order(db, existing).await;
    }
    let product = catalog_store::find(db.reader(), new.product_id)
        .await?
        .ok_or(OrderError::ProductNotFound)?;
    let currency = Currency::parse(&product.currency_code).map_err(OrderError::Invalid)?;
    let value = Money::parse(&new.denomination, currency).map_err(|e| {
        OrderError::InvalidDenomination(format!("denomination {}: {e}", new.denomination))
    })?;
    if !catalog::offers(&product, value) {
        return Err(OrderError::InvalidDenomination(format!(
            "product {} has no denomination {}; it offers {}",
            product.id,
            new.denomination,
            catalog::offered_values(&product)
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
    let company = companies::find(db.reader(), company_id)
        .await?
        .ok_or(OrderError::ProductNotFound)?;
    if let Some(country) = &company.country_code {
        if !catalog::sold_in(&product, country) {
            return Err(OrderError::CountryNotAllowed(format!(
                "product {} is not available in {country}, the country of your company",
                product.id
            )));
        }
    }
    let base = Currency::parse(&company.base_currency).map_err(OrderError::Invalid)?;
    let rate = catalog::rate(db, currency, base).await?.ok_or_else(|| {
        OrderError::NotProcessable(format!(
            "no exchange rate from {currency} to {base} is set; ask the operator to run `galley fx set`"
        ))
    })?;
    let total = Money {
        minor: value
            .minor
            .checked_mul(new.quantity)
            .ok_or_else(|| OrderError::Invalid("quantity is too large".into()))?,
        currency,
    };
    let discount_percent =
        Decimal::parse(&product.discount).unwrap_or_else(|_| Decimal::parse("0").expect("valid"));
    let discount = discount_percent.percent_of(total);
    let net = Money {
        minor: total.minor - discount.minor,
        currency,
    };
    let charged = rate.convert(net, base);

    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    // Locks: the product first, then the company (the debit), always in
    // this order so two orders never wait on each other in a cycle.
    orders::lock_product(&mut tx, product.id).await?;
    if ledger::debit(&mut tx, company_id, charged.minor)
        .await?
        .is_none()
    {
        let balance = ledger::balance(&mut *tx, company_id).await?;
        return Err(OrderError::NotProcessable(format!(
            "not enough balance: the order costs {charged}, the balance is {}",
            Money {
                minor: balance,
                currency: base
            }
        )));
    }
    // Inserted as delivered: the common case needs no second update.
    let mut row = OrderRow {
        id: 0,
        company_id,
        po_number: new.po_number.clone(),
        product_id: product.id,
        product_name: product.name.clone(),
        denomination_minor: value.minor,
        quantity: new.quantity,
        currency_code: currency.as_str().to_string(),
        currency_value: rate.to_text(),
        order_total_minor: total.minor,
        discount_minor: discount.minor,
        discount_percent: discount_percent.to_text(),
        amount_charged_minor: charged.minor,
        base_currency: base.as_str().to_string(),
        order_status: "complete".into(),
        delivery_status: "delivered".into(),
        email: email.clone().unwrap_or_default(),
        contact: new.contact.clone().unwrap_or_default(),
        tag: new.tag.clone().unwrap_or_default(),
        notify_receiver: i64::from(new.notify_receiver),
        created_at: now,
        delivered_at: Some(now),
    };
    row.id = match orders::insert(&mut tx, &row).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            // The same poNumber committed concurrently: answer with that one.
            drop(tx);
            let existing = orders::find_by_po(db.reader(), company_id, &new.po_number)
                .await?
                .ok_or(OrderError::Store(e))?;
            return existing_order(db, existing).await;
        }
        Err(e) => return Err(e.into()),
    };
    let order_id = row.id;
    let codes = if product.kind == "generated" {
        let codes: Vec<String> = (0..new.quantity).map(|_| mint_code()).collect();
        orders::insert_minted(&mut tx, order_id, product.id, value.minor, &codes, now).await?;
        codes
            .into_iter()
            .map(|code| CodeRow {
                code,
                pin: None,
                validity: None,
            })
            .collect()
    } else {
        let codes =
            orders::allocate(&mut tx, order_id, product.id, value.minor, new.quantity).await?;
        if codes.len() as i64 == new.quantity {
            codes
        } else if product.delivery_type == "delayed" {
            // Waits, charged, for codes to arrive; keeps none of the few left.
            orders::release(&mut tx, order_id).await?;
            orders::mark_pending(&mut tx, order_id).await?;
            row.order_status = "pending".into();
            row.delivery_status = "pending".into();
            row.delivered_at = None;
            Vec::new()
        } else {
            return Err(OrderError::NotProcessable(format!(
                "not enough inventory: {} voucher(s) of {} {currency} left for product {}",
                codes.len(),
                new.denomination,
                product.id
            )));
        }
    };
    let delivered = row.delivered_at.is_some();
    ledger::insert_entry(
        &mut tx,
        company_id,
        "charge",
        -charged.minor,
        base.as_str(),
        Some(&format!("order:{order_id}")),
        now,
    )
    .await?;
    let payload = json!({ "order_id": order_id, "company_id": company_id });
    if delivered && new.notify_receiver {
        crate::store::outbox::enqueue(&mut tx, "order_email", &payload, now).await?;
    }
    if new.notify_admin {
        crate::store::outbox::enqueue(&mut tx, "order_admin_email", &payload, now).await?;
    }
    tx.commit().await?;
    Ok(Placed {
        order: row,
        codes,
        created: true,
        country: product.country_code,
    })
}

async fn existing_order(db: &Db, order: OrderRow) -> Result<Placed, OrderError> {
    let codes = orders::codes(db.reader(), order.id).await?;
    let country = catalog_store::find(db.reader(), order.product_id)
        .await?
        .map(|p| p.country_code)
        .unwrap_or_default();
    Ok(Placed {
        order,
        codes,
        created: false,
        country,
    })
}

/// Gives waiting orders of a product and denomination their codes, oldest
/// first, in the caller's transaction (after new codes were imported).
pub async fn fulfil_pending(
    tx: &mut crate::store::Tx,
    product_id: i64,
    denomination_minor: i64,
    now: i64,
) -> Result<usize, OrderError> {
    let mut fulfilled = 0;
    for order in orders::pending(tx, product_id, denomination_minor).await? {
        let got = orders::allocate(tx, order.id, product_id, denomination_minor, order.quantity)
            .await?
            .len() as i64;
        if got < order.quantity {
            orders::release(tx, order.id).await?;
            break;
        }
        orders::mark_delivered(tx, order.id, now).await?;
        if order.notify_receiver == 1 {
            crate::store::outbox::enqueue(
                tx,
                "order_email",
                &json!({ "order_id": order.id, "company_id": order.company_id }),
                now,
            )
            .await?;
        }
        fulfilled += 1;
    }
    Ok(fulfilled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_codes_have_80_bits_in_an_unambiguous_alphabet() {
        let code = mint_code();
        assert_eq!(code.len(), 19);
        assert!(code
            .chars()
            .filter(|c| *c != '-')
            .all(|c| ALPHABET.contains(&(c as u8))));
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        assert_ne!(code, mint_code());
    }
}
