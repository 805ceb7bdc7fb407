//! Canceling a pending order (a delayed product that never got its codes):
//! the order is marked canceled, its charge is refunded to the company's
//! balance (an `order_refund` ledger entry), the `order.canceled` webhook
//! event is written and the audit record kept — in one transaction, and
//! only while the order is still pending, so an order is either fulfilled
//! or canceled and refunded, never both, and never refunded twice.
//!
//! May touch: `store` (`orders`, `ledger`), `domain::webhooks`, the audit
//! trail, `domain::money`, `clock`. Never an entry point.

use serde_json::json;

use crate::{
    clock::Clock,
    domain::{
        money::{Currency, Money},
        record,
        webhooks::{self, EventKind},
        Actor, Error, Result,
    },
    store::{
        ledger,
        orders::{self, OrderStatus},
        Db,
    },
};

/// The ledger kind of a canceled order's refund.
pub const REFUND: &str = "order_refund";

/// Cancels `company_id`'s pending order `order_id`; returns the refund.
#[tracing::instrument(skip(db, clock))]
pub async fn cancel(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    order_id: i64,
) -> Result<Money> {
    let found = orders::find(db.reader(), company_id, order_id)
        .await?
        .ok_or(Error::NotFound("order"))?;
    let status = found.order_status;
    if status != OrderStatus::Pending {
        return Err(Error::Invalid(format!(
            "order {order_id} is {}: only a pending order (waiting for codes) can be canceled",
            status.as_str()
        )));
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    // The code import that fulfils waiting orders locks the product too:
    // the two take turns.
    orders::lock_product(&mut tx, found.product_id).await?;
    let Some(order) = orders::cancel_pending(&mut tx, company_id, order_id).await? else {
        return Err(Error::Invalid(format!(
            "order {order_id} is no longer pending: it was fulfilled or canceled meanwhile"
        )));
    };
    let reference = format!("order:{order_id}");
    ledger::append(
        &mut tx,
        company_id,
        REFUND,
        order.amount_charged_minor,
        &order.base_currency,
        Some(&reference),
        now,
    )
    .await?;
    webhooks::emit_order(&mut tx, EventKind::OrderCanceled, &order, now).await?;
    let currency =
        Currency::parse(&order.base_currency).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let refund = Money {
        minor: order.amount_charged_minor,
        currency,
    };
    record(
        &mut tx,
        actor,
        company_id,
        "order.canceled",
        &reference,
        json!({ "refund": refund.to_string(), "po_number": order.po_number }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(refund)
}
