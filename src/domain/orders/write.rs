//! The writes of accepted orders, in the batch's transaction: one debit
//! per company, then orders, codes, ledger entries and outbox messages
//! with multi-row statements; and [`fulfil_pending`], which gives waiting
//! orders the codes that arrived. Touches the orders, codes, ledger and
//! outbox tables only.
//!
//! May touch: `store` (`orders`, `ledger`, `outbox`), `domain::orders`
//! (`decide`), `domain::webhooks` (`order.delivered`, in the same
//! transaction). Never an entry point.

use serde_json::json;

use super::{
    decide::{Accepted, Fill},
    sorted_unique,
};
use crate::domain::webhooks::{self, EventKind};
use crate::store::{
    ledger::{self, NewEntry},
    orders::{self, OrderRow},
    outbox, StoreError, Tx,
};

/// Outbox kind of the receiver's voucher e-mail.
const ORDER_EMAIL: &str = "order_email";
/// Outbox kind of the admins' order summary.
const ORDER_ADMIN_EMAIL: &str = "order_admin_email";

/// Writes the accepted orders (setting their ids): one debit per company,
/// then orders, codes, ledger entries and e-mails with multi-row
/// statements.
pub(super) async fn write(
    tx: &mut Tx,
    accepted: &mut [&mut Accepted],
    now: i64,
) -> Result<(), StoreError> {
    let company_ids = sorted_unique(accepted.iter().map(|a| a.row.company_id));
    for id in company_ids {
        let total: i64 = accepted
            .iter()
            .filter(|a| a.row.company_id == id)
            .map(|a| a.row.amount_charged_minor)
            .sum();
        if total > 0 && ledger::debit(tx, id, total).await?.is_none() {
            return Err(StoreError::Inconsistent(
                "a balance changed while its row was locked",
            ));
        }
    }
    let rows: Vec<OrderRow> = accepted.iter().map(|a| a.row.clone()).collect();
    let ids = orders::insert_many(tx, &rows).await?;
    for (a, id) in accepted.iter_mut().zip(ids) {
        a.row.id = id;
    }
    let assignments: Vec<(i64, i64)> = accepted
        .iter()
        .flat_map(|a| match &a.fill {
            Fill::Stock(codes) => codes
                .iter()
                .map(|(code_id, _)| (*code_id, a.row.id))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    if orders::assign_codes(tx, &assignments).await? != assignments.len() as u64 {
        return Err(StoreError::Inconsistent(
            "voucher codes were sold while their product was locked",
        ));
    }
    for a in accepted.iter() {
        if let Fill::Minted(codes) = &a.fill {
            let row = &a.row;
            orders::insert_minted(
                tx,
                row.id,
                row.product_id,
                row.denomination_minor,
                codes,
                now,
            )
            .await?;
        }
    }
    let entries: Vec<NewEntry<'_>> = accepted
        .iter()
        .map(|a| NewEntry {
            company_id: a.row.company_id,
            kind: "charge",
            amount_minor: -a.row.amount_charged_minor,
            currency: &a.row.base_currency,
            reference: Some(format!("order:{}", a.row.id)),
            created_at: now,
        })
        .collect();
    ledger::insert_entries(tx, &entries).await?;
    for a in accepted.iter() {
        if a.row.delivered_at.is_some() {
            webhooks::emit_order(tx, EventKind::OrderDelivered, &a.row, now).await?;
        }
        if a.row.delivered_at.is_some() && a.row.notify_receiver == 1 {
            enqueue(tx, ORDER_EMAIL, &a.row, now).await?;
        }
        if a.notify_admin {
            enqueue(tx, ORDER_ADMIN_EMAIL, &a.row, now).await?;
        }
    }
    Ok(())
}

/// Gives waiting orders of a product and denomination their codes, oldest
/// first, in the caller's transaction (after new codes were imported);
/// returns how many orders were fulfilled.
pub async fn fulfil_pending(
    tx: &mut Tx,
    product_id: i64,
    denomination_minor: i64,
    now: i64,
) -> Result<usize, StoreError> {
    let mut fulfilled = 0;
    let today = crate::clock::day(now);
    for order in orders::pending(tx, product_id, denomination_minor).await? {
        let got = orders::allocate(
            tx,
            order.id,
            product_id,
            denomination_minor,
            order.quantity,
            &today,
        )
        .await?
        .len() as i64;
        if got < order.quantity {
            orders::release(tx, order.id).await?;
            break;
        }
        orders::mark_delivered(tx, order.id, now).await?;
        webhooks::emit_order(tx, EventKind::OrderDelivered, &order, now).await?;
        if order.notify_receiver == 1 {
            enqueue(tx, ORDER_EMAIL, &order, now).await?;
        }
        fulfilled += 1;
    }
    Ok(fulfilled)
}

/// Queues an e-mail of `kind` about `order`.
async fn enqueue(tx: &mut Tx, kind: &str, order: &OrderRow, now: i64) -> Result<(), StoreError> {
    let payload = json!({ "order_id": order.id, "company_id": order.company_id });
    outbox::enqueue(tx, kind, &payload, now).await?;
    Ok(())
}
