//! The Rewards API (tag `plumProAPI`, scope `plum_pro_api`), one module per
//! operation. Wire format: the live Plum service's, documented in
//! `docs/api.md` and `/openapi.json` (built by `spec`) — field names and
//! JSON types are kept exactly, including numbers sent as strings.
//!
//! This module holds the shared wire shapes (products, orders, amounts,
//! dates); each operation reads and writes only through the domain and
//! store modules it names.
//!
//! May touch: `domain::money`, the row types of `store::catalog` and
//! `store::orders` (to shape them), `api`. Never `web`.

pub mod catalog_view;
pub mod get_balance;
pub mod get_filters;
pub mod get_order_details;
pub mod get_order_history;
pub mod get_vouchers;
pub mod place_order;

use serde_json::{json, Value};

use crate::{domain::money::Decimal, store::catalog::ProductRow};

pub use crate::clock::date_time;

/// A stored decimal as a JSON number.
fn number(text: &str) -> Value {
    Decimal::parse(text)
        .map(|d| d.to_json())
        .unwrap_or(Value::Null)
}

/// A product in the getVouchers shape.
pub fn product_json(p: &ProductRow, exchange_rate: Value) -> Value {
    let countries: Value = serde_json::from_str(&p.countries).unwrap_or_else(|_| json!([]));
    json!({
        "productId": p.id,
        "name": p.name,
        "description": p.description,
        "termsAndConditionsInstructions": p.terms,
        "expiryAndValidity": p.expiry_validity,
        "redemptionInstructions": p.redemption_instructions,
        "categories": p.categories,
        "lastUpdateDate": date_time(p.updated_at),
        "imageUrl": p.image_url,
        "currencyCode": p.currency_code,
        "currencyName": p.currency_name,
        "countryName": p.country_name,
        "countryCode": p.country_code,
        "countries": countries,
        "exchangeRateRule": number(&p.exchange_rate_rule),
        "valueType": p.value_type,
        "minValue": number(&p.min_value),
        "maxValue": number(&p.max_value),
        "valueDenominations": p.denominations,
        "tatInDays": p.tat_in_days,
        "usageType": p.usage_type,
        "deliveryType": p.delivery_type,
        "isCommon": "0",
        "fee": number(&p.fee),
        "discount": number(&p.discount),
        "exchangeRate": exchange_rate,
        "orderQuantityLimit": p.order_quantity_limit,
    })
}

/// Wraps a payload as `{"<op>": {"status": 1, "data": payload}}`.
pub fn success(op: &str, payload: Value) -> Value {
    let mut inner = serde_json::Map::new();
    inner.insert(op.to_string(), json!({ "status": 1, "data": payload }));
    Value::Object(inner)
}

use crate::domain::money::amount_text;

/// Minor units as a JSON number.
pub fn amount_number(minor: i64, currency: &str) -> Value {
    match crate::domain::money::Currency::parse(currency) {
        Ok(c) => crate::domain::money::Money { minor, currency: c }.to_json(),
        Err(_) => json!(minor),
    }
}

/// An order in the placeOrder shape.
pub fn order_json(
    order: &crate::store::orders::OrderRow,
    codes: &[crate::store::orders::CodeRow],
    country: &str,
) -> Value {
    let currency_value = number(&order.currency_value);
    let default_validity = date_time(order.created_at + 365 * 24 * 3600 * 1000)
        .get(..10)
        .unwrap_or_default()
        .to_string();
    let vouchers: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "productId": order.product_id,
                "orderId": order.id,
                "voucherCode": c.code,
                "pin": c.pin.clone().unwrap_or_default(),
                "validity": c.validity.clone().unwrap_or_else(|| default_validity.clone()),
                "amount": amount_number(order.denomination_minor, &order.currency_code),
                "currency": order.currency_code,
                "country": country,
                "type": if c.pin.is_some() { "codePin" } else { "code" },
                "currencyValue": currency_value,
            })
        })
        .collect();
    json!({
        "orderId": order.id,
        "orderTotal": amount_text(order.order_total_minor, &order.currency_code),
        "orderDiscount": amount_text(order.discount_minor, &order.currency_code),
        "discountPercent": order.discount_percent,
        "currencyCode": order.currency_code,
        "currencyValue": currency_value,
        "amountCharged": amount_number(order.amount_charged_minor, &order.base_currency),
        "orderStatus": order.order_status,
        "deliveryStatus": order.delivery_status,
        "tag": order.tag,
        "vouchers": vouchers,
    })
}
