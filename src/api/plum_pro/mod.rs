//! The Rewards API (tag `plumProAPI`, scope `plum_pro_api`), one module per
//! operation. Wire format: API-REWARDS.md — field names and JSON types are
//! kept exactly, including numbers sent as strings.

pub mod get_balance;
pub mod get_filters;
pub mod get_vouchers;

use serde_json::{json, Value};

use crate::{domain::money::Decimal, store::catalog::ProductRow};

/// `"YYYY-MM-DD HH:MM:SS"` (UTC) of epoch milliseconds.
pub fn date_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// A stored decimal as a JSON number.
fn number(text: &str) -> Value {
    Decimal::parse(text).map(|d| d.to_json()).unwrap_or(Value::Null)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_plum_format() {
        assert_eq!(date_time(0), "1970-01-01 00:00:00");
        assert_eq!(date_time(1_700_000_000_123), "2023-11-14 22:13:20");
    }
}
