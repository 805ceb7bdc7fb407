//! `plumProAPI.mutation.getOrderHistory`: the company's orders between two
//! dates (UTC, both included; an `endDate` before `startDate` has no
//! orders), newest first, a page at a time. Reads orders only.
//!
//! May touch: `store::orders` (reads), `domain::money` (amount text),
//! `oauth::bearer` (the caller), `state`, the shared `api` helpers. Never
//! `web`.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use time::{macros::format_description, Date};

use crate::{
    api::{error::ApiError, fields::Fields},
    oauth::bearer::Caller,
    state::AppState,
    store::orders,
};

/// Operation name in the response.
pub const NAME: &str = "getOrderHistory";
const FIELDS: &[&str] = &["startDate", "endDate", "limit", "page", "tag"];

fn history_error(info: String) -> ApiError {
    ApiError::app(
        StatusCode::BAD_REQUEST,
        "PLE10032",
        info,
        "Invalid order history query",
    )
}

/// Runs the operation.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let fields = Fields::from_variables(variables, "data", FIELDS)?;
    let format = format_description!("[year]-[month]-[day]");
    let date = |name: &str| -> Result<Date, ApiError> {
        let text = fields
            .string(name, 10)?
            .ok_or_else(|| history_error(format!("{name} is required (YYYY-MM-DD).")))?;
        Date::parse(&text, format)
            .map_err(|_| history_error(format!("{name} `{text}` is not a date YYYY-MM-DD.")))
    };
    let (start, end) = (date("startDate")?, date("endDate")?);
    let limit = fields.int("limit", 1, 1000)?.unwrap_or(10);
    let page = fields.page("page")?;
    let tag = fields.string("tag", 100)?;
    let ms = |d: Date| d.midnight().assume_utc().unix_timestamp() * 1000;
    // An `endDate` before `startDate` is a range without days: no orders.
    if end < start {
        return Ok(super::success(NAME, Value::Array(Vec::new())));
    }
    let to = ms(end.next_day().unwrap_or(end));
    let rows = orders::history(
        state.db.reader(),
        caller.company_id,
        ms(start),
        to,
        tag.as_deref(),
        limit,
        (page - 1).saturating_mul(limit),
    )
    .await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|o| {
            json!({
                "orderId": o.id,
                "orderDate": super::date_time(o.created_at),
                "email": o.email,
                "deliveryStatus": o.delivery_status,
                "tag": o.tag,
                "poNumber": o.po_number,
                "products": [{
                    "productName": o.product_name,
                    "receiverMobileNumber": o.contact,
                    "price": crate::domain::money::amount_text(o.denomination_minor, &o.currency_code),
                    "quantity": o.quantity,
                    "orderProductStatus": o.order_status,
                }],
            })
        })
        .collect();
    Ok(super::success(NAME, Value::Array(list)))
}
