//! Placing orders: a transaction checks the product, denomination,
//! quantity and balance, allocates distinct codes (or mints them), debits
//! the ledger and records the order — or does nothing. The client's
//! `poNumber` makes it idempotent per company.
//!
//! Concurrent orders share a transaction, each decided on its own:
//!
//! - `desk`: the [`OrderDesk`] that batches callers' jobs, runs a batch's
//!   transaction (reading its snapshot under locks) and retries each order
//!   alone when a batch fails;
//! - `decide`: the in-memory decision over that snapshot, in arrival
//!   order, against running balances and stock;
//! - `price`: one order's checks against its product and company, with
//!   its fx conversion and discount;
//! - `write`: the writes of the accepted orders (debits, orders, codes,
//!   ledger entries, outbox) and [`fulfil_pending`] for waiting orders;
//! - `cancel`: [`cancel`] a waiting order, refunding its charge.
//!
//! Reads products through [`super::catalog`] (locking their rows) and fx
//! rates; writes the orders, codes, ledger and outbox tables. The catalog
//! never calls back into this module.
//!
//! May touch: `store` (`orders`, `catalog`, `ledger`, `outbox`, `batch`,
//! through its submodules), `domain::catalog`, `domain::money`, `crypto`
//! (minted codes), `clock`. Never an entry point.

mod cancel;
mod decide;
mod desk;
mod price;
mod write;

pub use cancel::{cancel, REFUND};
pub use desk::OrderDesk;
pub use write::fulfil_pending;

use crate::{
    crypto,
    store::{
        orders::{CodeRow, OrderRow},
        StoreError,
    },
};

/// Why an order was not placed (each maps to one error id of the API).
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// A field is wrong (`PLE10001`).
    #[error("{0}")]
    Invalid(String),
    /// The `poNumber` names an order of another product, denomination or
    /// quantity (`PLE10001`, answered 409 Conflict).
    #[error("{0}")]
    PoNumberTaken(String),
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

impl From<super::Error> for OrderError {
    fn from(e: super::Error) -> Self {
        match e {
            super::Error::Invalid(m) | super::Error::Conflict(m) => OrderError::Invalid(m),
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

/// The distinct ids, ascending (the order in which rows are locked).
fn sorted_unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
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
