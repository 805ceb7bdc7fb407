//! `plumProAPI.mutation.getOrderDetails`: one of the company's orders, by
//! `orderId` or `poNumber`; `sendMailToReceiver` 1 queues the e-mail again.
//! Reads orders, codes and the product's country; writes only the outbox.
//!
//! May touch: `store::orders` and `store::catalog` (reads), `store::outbox`
//! (the resend, written straight to the store, not through the domain),
//! `oauth::bearer` (the caller), `state`, the shared `api` helpers. Never
//! `web`.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::{
    api::{error::ApiError, fields::Fields},
    oauth::bearer::Caller,
    state::AppState,
    store::{catalog, orders},
};

/// Operation name in the response.
pub const NAME: &str = "getOrderDetails";
const FIELDS: &[&str] = &["orderId", "poNumber", "sendMailToReceiver"];

/// Runs the operation.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let fields = Fields::from_variables(variables, "data", FIELDS)?;
    let order_id = fields.int("orderId", 1, crate::api::fields::MAX_ID)?;
    let po_number = fields.string("poNumber", 64)?;
    let resend = fields.flag("sendMailToReceiver")?;
    let order = match (order_id, po_number) {
        (Some(id), _) => orders::find(state.db.reader(), caller.company_id, id).await?,
        (None, Some(po)) => orders::find_by_po(state.db.reader(), caller.company_id, &po).await?,
        (None, None) => {
            return Err(ApiError::validation(
                "variables.data.orderId or variables.data.poNumber is required.",
            ))
        }
    };
    let order = order.ok_or_else(|| {
        ApiError::app(
            StatusCode::NOT_FOUND,
            "PLE10027",
            "Failed to find the order.",
            "Order not found",
        )
    })?;
    if resend {
        if order.email.is_empty() {
            return Err(ApiError::validation(
                "variables.data.sendMailToReceiver: the order has no receiver e-mail.",
            ));
        }
        let mut tx = state.db.begin().await?;
        let payload = json!({ "order_id": order.id, "company_id": order.company_id });
        crate::store::outbox::enqueue(&mut tx, "order_email", &payload, state.clock.now_ms())
            .await?;
        tx.commit()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
    }
    let codes = orders::codes(state.db.reader(), order.id).await?;
    let country = catalog::find(state.db.reader(), order.product_id)
        .await?
        .map(|p| p.country_code)
        .unwrap_or_default();
    let mut payload = super::order_json(&order, &codes, &country);
    payload["orderDate"] = json!(super::date_time(order.created_at));
    payload["deliveryDate"] = json!(order.delivered_at.map(super::date_time).unwrap_or_default());
    Ok(super::success(NAME, payload))
}
