//! `plumProAPI.mutation.getFilters`: filter groups (country, currency,
//! category, price) built from the live catalog; `includeFilters` /
//! `excludeFilters` keep or drop `filterValueCode`s of the chosen group (of
//! every group without one). Reads the cached catalog view only.
//!
//! May touch: `catalog_view`, `domain::catalog` and `domain::money`
//! (values), `oauth::bearer` (the caller), `state`, the shared `api`
//! helpers. Never `web`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::catalog_view;
use crate::{
    api::{error::ApiError, fields::Fields},
    domain::{
        catalog::{Product, ValueType},
        money::{Decimal, Money},
    },
    oauth::bearer::Caller,
    state::AppState,
};

/// Operation name in the response.
pub const NAME: &str = "getFilters";
const FIELDS: &[&str] = &["filterGroupCode", "includeFilters", "excludeFilters"];
const GROUPS: [(&str, &str, &str); 4] = [
    (
        "country",
        "Country",
        "Countries where the vouchers can be used",
    ),
    ("currency", "Currency", "Currencies of the vouchers"),
    ("category", "Category", "Kinds of brand"),
    ("price", "Price", "Voucher values"),
];
/// Price groups in major units of each product's currency: `(from, to)`,
/// both inclusive; `None` is open-ended.
const PRICE_BUCKETS: [(u64, Option<u64>); 6] = [
    (0, Some(100)),
    (100, Some(500)),
    (500, Some(1000)),
    (1000, Some(5000)),
    (5000, Some(10000)),
    (10000, None),
];

/// Runs the operation.
pub async fn run(
    state: &AppState,
    _caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let fields = Fields::from_variables(variables, "data", FIELDS)?;
    let group = fields.string("filterGroupCode", 20)?;
    if let Some(g) = &group {
        if !GROUPS.iter().any(|(code, _, _)| code == g) {
            return Err(ApiError::validation(
                "variables.data.filterGroupCode must be country, currency, category or price.",
            ));
        }
    }
    let include = fields.string("includeFilters", 2000)?;
    let exclude = fields.string("excludeFilters", 2000)?;
    let list = |text: &Option<String>| -> Vec<String> {
        text.as_deref()
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (include, exclude) = (list(&include), list(&exclude));

    let view = catalog_view::current(state)
        .await
        .map_err(ApiError::Internal)?;
    // value code -> (display value, iso code)
    let mut values: BTreeMap<&str, BTreeMap<String, (String, String)>> = BTreeMap::new();
    for entry in &view.entries {
        let (p, product) = (&entry.row, &entry.product);
        for (code, name) in &product.countries {
            values
                .entry("country")
                .or_default()
                .insert(code.to_lowercase(), (name.clone(), code.clone()));
        }
        let currency_name = if p.currency_name.is_empty() {
            p.currency_code.clone()
        } else {
            p.currency_name.clone()
        };
        values.entry("currency").or_default().insert(
            p.currency_code.to_lowercase(),
            (currency_name, p.currency_code.clone()),
        );
        for category in p
            .categories
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            values.entry("category").or_default().insert(
                category.to_lowercase(),
                (category.to_string(), String::new()),
            );
        }
        let amounts = price_points(product);
        for (lo, hi) in PRICE_BUCKETS {
            let (from, to) = (Decimal::whole(lo), hi.map(Decimal::whole));
            if amounts.iter().any(|a| {
                from.cmp_amount(*a).is_le() && to.is_none_or(|to| to.cmp_amount(*a).is_ge())
            }) {
                let code = match hi {
                    Some(h) => format!("{lo}-{h}"),
                    None => format!("{lo}+"),
                };
                values
                    .entry("price")
                    .or_default()
                    .insert(format!("{lo:>10}"), (code, String::new()));
            }
        }
    }
    let mut groups = Vec::new();
    for (code, name, description) in GROUPS {
        if group.as_deref().is_some_and(|g| g != code) {
            continue;
        }
        let filters: Vec<Value> = values
            .get(code)
            .map(|m| m.iter().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|(key, (value, iso))| {
                let value_code = if code == "price" { value.clone() } else { key.clone() };
                (value_code, value.clone(), iso.clone())
            })
            .filter(|(value_code, _, _)| include.is_empty() || include.contains(value_code))
            .filter(|(value_code, _, _)| !exclude.contains(value_code))
            .map(|(value_code, value, iso)| json!({ "filterValue": value, "isoCode": iso, "filterValueCode": value_code }))
            .collect();
        groups.push(json!({
            "filterGroupName": name,
            "filterGroupDescription": description,
            "filterGroupCode": code,
            "filters": filters,
        }));
    }
    Ok(super::success(NAME, Value::Array(groups)))
}

/// The amounts a product is grouped by: its open range's ends, or its
/// denominations.
fn price_points(product: &Product) -> Vec<Money> {
    match product.value_type {
        ValueType::OpenValue => vec![product.min_value, product.max_value],
        ValueType::FixedDenomination => product.denominations.clone(),
    }
}
