//! `plumProAPI.mutation.getVouchers`: the catalog, filtered, sorted and
//! paged, optionally with the exchange rate to the company's base currency.
//! Reads the cached catalog view, the company and the fx rates.
//!
//! May touch: `catalog_view`, `domain::catalog` (products, fx rates),
//! `domain::money`, `domain::scopes` (`truncate`), `store::companies`
//! (reads), `oauth::bearer` (the caller), `state`, the shared `api`
//! helpers. Never `web`.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::catalog_view::{self, Entry};
use crate::{
    api::{error::ApiError, fields::Fields},
    domain::{
        catalog::{self, Product, ValueType},
        money::{Currency, Decimal, Money},
        scopes::truncate,
    },
    oauth::bearer::Caller,
    state::AppState,
    store::companies,
};

/// Operation name in the response.
pub const NAME: &str = "getVouchers";
/// The most products one page may hold (`limit`): a whole catalog in one
/// call, as clients that list everything at once ask.
pub const MAX_LIMIT: i64 = crate::spec::MAX_VOUCHERS_LIMIT;
const FIELDS: &[&str] = &[
    "limit",
    "page",
    "includeProducts",
    "excludeProducts",
    "sort",
    "filters",
    "exchangeRate",
];

/// A parsed `filters` entry.
enum Filter {
    Country(String),
    Currency(String),
    Category(String),
    Price(PriceRange),
    Name(String),
}

fn parse_filters(value: Option<&Value>) -> Result<Vec<Filter>, ApiError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(value) => value,
    };
    let Value::Array(items) = items else {
        return Err(ApiError::validation(
            "variables.data.filters must be an array of {key, value}.",
        ));
    };
    let blank = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    };
    items
        .iter()
        // `{"key": "", "value": ""}` is a filter the client does not use.
        .filter(|item| !(item.is_object() && blank(item.get("key")) && blank(item.get("value"))))
        .map(|item| {
            if !item.is_object() {
                return Err(ApiError::validation("variables.data.filters[] must be objects {key, value}."));
            }
            let key = item.get("key").and_then(Value::as_str);
            let value = match item.get("value") {
                Some(Value::String(s)) => s.trim().to_string(),
                // A price is a whole number when sent as a JSON number.
                Some(Value::Number(n)) if key == Some("price") && n.as_u64().is_none() => {
                    return Err(ApiError::validation("variables.data.filters price value must be like 100 or 100-500."))
                }
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(ApiError::validation("variables.data.filters[].value must be a string.")),
            };
            if value.chars().count() > 200 {
                return Err(ApiError::validation("variables.data.filters[].value must have at most 200 characters."));
            }
            Ok(match key {
                Some("country") => Filter::Country(value.to_lowercase()),
                Some("currency") => Filter::Currency(value.to_uppercase()),
                Some("category") => Filter::Category(value.to_lowercase()),
                Some("productName") => Filter::Name(value.to_lowercase()),
                Some("price") => {
                    let bad = || ApiError::validation("variables.data.filters price value must be like 100 or 100-500.");
                    match value.split_once('-') {
                        Some((lo, hi)) => Filter::Price(PriceRange { lo: Decimal::parse(lo).map_err(|_| bad())?, hi: Some(Decimal::parse(hi).map_err(|_| bad())?) }),
                        None => Filter::Price(PriceRange { lo: Decimal::parse(&value).map_err(|_| bad())?, hi: None }),
                    }
                }
                _ => {
                    return Err(ApiError::validation(format!(
                        "variables.data.filters[].key `{}` must be country, currency, category, price or productName.",
                        truncate(key.unwrap_or(""), 40)
                    )))
                }
            })
        })
        .collect()
}

/// A `price` filter in major units of each product's currency: one amount
/// (`100`) or an inclusive range (`100-500`). Compared exactly with the
/// product's amounts (no floats): `100.005` matches no INR voucher.
#[derive(Clone, Copy, Debug)]
struct PriceRange {
    lo: Decimal,
    hi: Option<Decimal>,
}

impl PriceRange {
    /// True when `amount` is the filter's one amount, or inside its range.
    fn contains(&self, amount: Money) -> bool {
        match self.hi {
            Some(hi) => self.lo.cmp_amount(amount).is_le() && hi.cmp_amount(amount).is_ge(),
            None => self.lo.cmp_amount(amount).is_eq(),
        }
    }

    /// True when the product sells a value the filter asks for: one of its
    /// denominations, or (open value) a range that meets the filter's.
    fn matches(&self, product: &Product) -> bool {
        match product.value_type {
            ValueType::OpenValue => {
                let up_to = self.hi.unwrap_or(self.lo);
                up_to.cmp_amount(product.min_value).is_ge()
                    && self.lo.cmp_amount(product.max_value).is_le()
            }
            ValueType::FixedDenomination => product.denominations.iter().any(|d| self.contains(*d)),
        }
    }
}

fn matches(e: &Entry, filter: &Filter) -> bool {
    match filter {
        Filter::Country(c) => e
            .countries
            .iter()
            .any(|(code, name)| code == c || name == c),
        Filter::Currency(c) => e.product.currency.as_str() == c,
        Filter::Category(c) => e.categories.iter().any(|x| x == c),
        Filter::Name(n) => e.name.contains(n.as_str()),
        Filter::Price(range) => range.matches(&e.product),
    }
}

/// `sort`: `{"field": "name"|"productId", "order": "ASC"|"DESC"}`, either
/// part blank or absent for the default (`productId`, ascending).
fn parse_sort(value: Option<&Value>) -> Result<(&'static str, bool), ApiError> {
    let sort = match value {
        None => return Ok(("productId", false)),
        Some(Value::String(s)) if s.is_empty() => return Ok(("productId", false)),
        Some(Value::Object(sort)) => sort,
        Some(_) => {
            return Err(ApiError::validation(
                "variables.data.sort must be {\"field\", \"order\"}.",
            ))
        }
    };
    if let Some(unknown) = sort.keys().find(|k| *k != "field" && *k != "order") {
        return Err(ApiError::validation(format!(
            "variables.data.sort.{} is not a field of sort (allowed: field, order).",
            truncate(unknown, 40)
        )));
    }
    let text = |name: &str| -> Result<String, ApiError> {
        match sort.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(ApiError::validation(format!(
                "variables.data.sort.{name} must be a string."
            ))),
        }
    };
    let field = match text("field")?.as_str() {
        "" | "productId" => "productId",
        "name" => "name",
        _ => {
            return Err(ApiError::validation(
                "variables.data.sort.field must be name or productId.",
            ))
        }
    };
    let descending = match text("order")?.to_ascii_uppercase().as_str() {
        "" | "ASC" => false,
        "DESC" => true,
        _ => {
            return Err(ApiError::validation(
                "variables.data.sort.order must be ASC or DESC.",
            ))
        }
    };
    Ok((field, descending))
}

/// Runs the operation; returns the whole response body (JSON text).
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<String, ApiError> {
    let fields = Fields::from_variables(variables, "data", FIELDS)?;
    let limit = fields.int("limit", 1, MAX_LIMIT)?.unwrap_or(10);
    let page = fields.page("page")?;
    let include = fields.id_list("includeProducts")?;
    let exclude = fields.id_list("excludeProducts")?;
    let with_rate = fields.flag("exchangeRate")?;
    let filters = parse_filters(fields.raw("filters"))?;
    let (sort_field, descending) = parse_sort(fields.raw("sort"))?;

    let view = catalog_view::current(state)
        .await
        .map_err(ApiError::Internal)?;
    let order: Box<dyn Iterator<Item = &Entry>> = match (sort_field, descending) {
        ("name", false) => Box::new(view.by_name.iter().map(|i| &view.entries[*i])),
        ("name", true) => Box::new(view.by_name.iter().rev().map(|i| &view.entries[*i])),
        (_, false) => Box::new(view.entries.iter()),
        (_, true) => Box::new(view.entries.iter().rev()),
    };
    let start = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let page_items: Vec<&Entry> = order
        .filter(|e| include.is_empty() || include.contains(&e.product.id))
        .filter(|e| !exclude.contains(&e.product.id))
        .filter(|e| filters.iter().all(|f| matches(e, f)))
        .skip(start)
        .take(limit as usize)
        .collect();
    if page_items.is_empty() {
        return Err(ApiError::app(
            StatusCode::NOT_FOUND,
            "PLE10030",
            "Failed to find vouchers.",
            "No Vouchers Found",
        ));
    }

    let base = if with_rate {
        let company = companies::find(state.db.reader(), caller.company_id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the token's company is missing")))?;
        Currency::parse(&company.base_currency).ok()
    } else {
        None
    };
    // The answer is written from the products' prepared JSON text.
    let mut rates: HashMap<Currency, String> = HashMap::new();
    let mut out = String::with_capacity(
        64 + page_items
            .iter()
            .map(|e| e.fields.len() + 32)
            .sum::<usize>(),
    );
    out.push_str("{\"data\":{\"getVouchers\":{\"status\":1,\"data\":[");
    for (i, e) in page_items.into_iter().enumerate() {
        let currency = e.product.currency;
        if let (Some(base), false) = (base, rates.contains_key(&currency)) {
            let rate = catalog::rate(&state.db, currency, base)
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            rates.insert(
                currency,
                rate.map_or_else(|| "null".to_string(), |r| r.to_json().to_string()),
            );
        }
        if i > 0 {
            out.push(',');
        }
        e.write_json(
            rates.get(&currency).map_or("null", String::as_str),
            &mut out,
        );
    }
    out.push_str("]}}}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::catalog::ProductRow;

    fn product(value_type: &str, denominations: &str, min: &str, max: &str) -> Product {
        Product::from_row(&ProductRow {
            currency_code: "INR".into(),
            countries: "[]".into(),
            value_type: value_type.into(),
            min_value: min.into(),
            max_value: max.into(),
            denominations: denominations.into(),
            delivery_type: "realtime".into(),
            kind: "inventory".into(),
            discount: "0".into(),
            ..ProductRow::default()
        })
        .unwrap()
    }

    fn range(lo: &str, hi: Option<&str>) -> PriceRange {
        PriceRange {
            lo: Decimal::parse(lo).unwrap(),
            hi: hi.map(|h| Decimal::parse(h).unwrap()),
        }
    }

    #[test]
    fn price_filters_compare_exact_amounts() {
        let fixed = product("fixed_denomination", "100,500.50", "0", "0");
        assert!(range("100", None).matches(&fixed));
        assert!(range("100.00", None).matches(&fixed));
        assert!(range("500.5", None).matches(&fixed));
        assert!(!range("500.505", None).matches(&fixed));
        assert!(range("400", Some("600")).matches(&fixed));
        assert!(range("500.5", Some("600")).matches(&fixed));
        assert!(!range("500.51", Some("600")).matches(&fixed));
        assert!(!range("101", Some("500.49")).matches(&fixed));
    }

    #[test]
    fn price_filters_meet_open_ranges() {
        let open = product("open_value", "", "10", "500");
        assert!(range("10", None).matches(&open));
        assert!(range("500", None).matches(&open));
        assert!(!range("500.01", None).matches(&open));
        assert!(range("1", Some("10")).matches(&open));
        assert!(!range("1", Some("9.99")).matches(&open));
        assert!(range("400", Some("600")).matches(&open));
        assert!(!range("500.01", Some("600")).matches(&open));
    }
}
