//! `plumProAPI.mutation.placeOrder`: buys vouchers in one transaction,
//! idempotent on the client's `poNumber`. Goes through the order desk
//! (`domain::orders`) only.
//!
//! May touch: `domain::orders` (the order desk in `state`), `domain::links`
//! (its order prefix), `oauth::bearer` (the caller), `state`, the shared
//! `api` helpers. Never `web`.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::{
    api::{error::ApiError, fields::Fields},
    domain::{
        links::ORDER_PREFIX as LINK_ORDERS,
        orders::{NewOrder, OrderError},
    },
    oauth::bearer::Caller,
    state::AppState,
};

/// Operation name in the response.
pub const NAME: &str = "placeOrder";
const FIELDS: &[&str] = &[
    "productId",
    "quantity",
    "denomination",
    "email",
    "contact",
    "tag",
    "poNumber",
    "notifyReceiverEmail",
    "notifyAdminEmail",
];

/// Maps a domain refusal to its API error id.
pub fn order_error(e: OrderError) -> ApiError {
    match e {
        OrderError::Invalid(m) => ApiError::validation(m),
        OrderError::PoNumberTaken(m) => {
            ApiError::app(StatusCode::CONFLICT, "PLE10001", m, "Duplicate poNumber")
        }
        OrderError::ProductNotFound => ApiError::app(
            StatusCode::NOT_FOUND,
            "PLE10030",
            "Failed to find the product.",
            "Product not found",
        ),
        OrderError::InvalidDenomination(m) => {
            ApiError::app(StatusCode::NOT_FOUND, "PLE10018", m, "Invalid denomination")
        }
        OrderError::QuantityAboveLimit(limit) => ApiError::app(
            StatusCode::CONFLICT,
            "PLE10041",
            format!("The quantity is above this product's limit of {limit} per order."),
            "Quantity limit exceeded",
        ),
        OrderError::CountryNotAllowed(m) => ApiError::app(
            StatusCode::UNAUTHORIZED,
            "PLE10019",
            m,
            "Product not allowed for your country",
        ),
        OrderError::NotProcessable(m) => ApiError::app(
            StatusCode::UNPROCESSABLE_ENTITY,
            "PLE10012",
            m,
            "Order could not be processed",
        ),
        OrderError::Store(e) => ApiError::Internal(e.into()),
        OrderError::Internal(e) => ApiError::Internal(e),
    }
}

/// Runs the operation.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let fields = Fields::from_variables(variables, "data", FIELDS)?;
    let required = |name: &str| ApiError::validation(format!("variables.data.{name} is required."));
    let product_id = fields
        .int("productId", 1, crate::api::fields::MAX_ID)?
        .ok_or_else(|| required("productId"))?;
    let quantity = fields
        .int("quantity", 1, 10_000)?
        .ok_or_else(|| required("quantity"))?;
    let denomination = fields
        .string("denomination", 32)?
        .ok_or_else(|| required("denomination"))?;
    let po_number = fields
        .string("poNumber", 64)?
        .ok_or_else(|| required("poNumber"))?;
    if po_number.starts_with(LINK_ORDERS) {
        return Err(ApiError::validation(format!(
            "variables.data.poNumber must not start with `{LINK_ORDERS}`: reward-link redemptions use it."
        )));
    }
    let contact = fields.text("contact", 32)?;
    if let Some(c) = &contact {
        if !c
            .chars()
            .all(|ch| ch.is_ascii_digit() || "+- ()".contains(ch))
        {
            return Err(ApiError::validation(
                "variables.data.contact must be a phone number such as +91-9999999999.",
            ));
        }
    }
    let new = NewOrder {
        product_id,
        quantity,
        denomination,
        email: fields.text("email", 254)?,
        contact,
        tag: fields.string("tag", 100)?,
        po_number,
        notify_receiver: fields.flag("notifyReceiverEmail")?,
        notify_admin: fields.flag("notifyAdminEmail")?,
    };
    let placed = state
        .orders
        .place(caller.company_id, new)
        .await
        .map_err(order_error)?;
    Ok(super::success(
        NAME,
        super::order_json(&placed.order, &placed.codes, &placed.country),
    ))
}
