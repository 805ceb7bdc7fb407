//! The voucher catalog: products read from JSON or CSV files (the field
//! names of getVouchers, plus `kind`), validated whole before anything is
//! written, then upserted in one transaction; the typed [`Product`] every
//! rule reads, parsed once from a stored row; and exchange rates for
//! charging other currencies.
//!
//! Touches the catalog tables only (`store::catalog`). It knows nothing of
//! orders: ordering reads products from here, and importing voucher codes
//! (which fulfils waiting orders) lives in [`super::inventory`].
//!
//! May touch: `store::catalog`, `domain::money`, `clock`. Never
//! `domain::orders` or an entry point.

use std::{collections::BTreeMap, str::FromStr};

use serde::{de::IgnoredAny, Deserialize};
use serde_json::{json, Value};

use super::{
    check_name,
    money::{Currency, Decimal, Money},
    Actor, Error, Result,
};
use crate::{
    clock::Clock,
    store::{catalog, catalog::ProductRow, Db},
};

/// Text that is not one of a field's values (`valueType `x` must be
/// fixed_denomination or open_value`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} `{value}` must be {expected}")]
pub struct UnknownValue {
    /// The field as import files name it (`valueType`).
    pub field: &'static str,
    /// The text found.
    pub value: String,
    /// The values allowed, for people.
    pub expected: &'static str,
}

/// How a product's voucher values are given (`valueType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Only the listed denominations.
    FixedDenomination,
    /// Any amount between the product's minimum and maximum.
    OpenValue,
}

impl ValueType {
    /// The stored and wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::FixedDenomination => "fixed_denomination",
            ValueType::OpenValue => "open_value",
        }
    }
}

impl FromStr for ValueType {
    type Err = UnknownValue;

    fn from_str(text: &str) -> std::result::Result<Self, UnknownValue> {
        match text {
            "fixed_denomination" => Ok(ValueType::FixedDenomination),
            "open_value" => Ok(ValueType::OpenValue),
            other => Err(UnknownValue {
                field: "valueType",
                value: other.to_string(),
                expected: "fixed_denomination or open_value",
            }),
        }
    }
}

/// Where a product's codes come from (`kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Imported codes, sold oldest first.
    Inventory,
    /// Codes minted by Galley when ordered.
    Generated,
}

impl Kind {
    /// The stored and wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Inventory => "inventory",
            Kind::Generated => "generated",
        }
    }
}

impl FromStr for Kind {
    type Err = UnknownValue;

    fn from_str(text: &str) -> std::result::Result<Self, UnknownValue> {
        match text {
            "inventory" => Ok(Kind::Inventory),
            "generated" => Ok(Kind::Generated),
            other => Err(UnknownValue {
                field: "kind",
                value: other.to_string(),
                expected: "inventory or generated",
            }),
        }
    }
}

/// What happens to an order of a product without stock (`deliveryType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryType {
    /// It is refused.
    Realtime,
    /// It waits, charged, for codes to arrive.
    Delayed,
}

impl DeliveryType {
    /// The stored and wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryType::Realtime => "realtime",
            DeliveryType::Delayed => "delayed",
        }
    }
}

impl FromStr for DeliveryType {
    type Err = UnknownValue;

    fn from_str(text: &str) -> std::result::Result<Self, UnknownValue> {
        match text {
            "realtime" => Ok(DeliveryType::Realtime),
            "delayed" => Ok(DeliveryType::Delayed),
            other => Err(UnknownValue {
                field: "deliveryType",
                value: other.to_string(),
                expected: "realtime or delayed",
            }),
        }
    }
}

/// A stored product row that does not parse (written around the import):
/// an internal error, logged, never shown.
#[derive(Debug, thiserror::Error)]
#[error("stored product {id} is invalid: {problem}")]
pub struct CorruptProduct {
    /// The product.
    pub id: i64,
    /// What is wrong.
    pub problem: String,
}

impl From<CorruptProduct> for Error {
    fn from(e: CorruptProduct) -> Self {
        Error::Internal(e.into())
    }
}

/// A product's rules, typed: what ordering, campaigns and filters decide
/// with. The descriptive text (names, HTML, wire fields) stays in the
/// [`ProductRow`] it was parsed from.
#[derive(Clone, Debug)]
pub struct Product {
    /// Product id.
    pub id: i64,
    /// Brand name.
    pub name: String,
    /// Currency of the vouchers.
    pub currency: Currency,
    /// ISO country code shown with the vouchers.
    pub country_code: String,
    /// Where it is sold, as `(code, name)`.
    pub countries: Vec<(String, String)>,
    /// Fixed denominations or an open range.
    pub value_type: ValueType,
    /// The denominations (any listed, even for open-value products).
    pub denominations: Vec<Money>,
    /// Smallest open value, rounded up to a whole minor unit.
    pub min_value: Money,
    /// Largest open value, rounded down to a whole minor unit.
    pub max_value: Money,
    /// What happens to an order without stock.
    pub delivery_type: DeliveryType,
    /// Inventory or generated codes.
    pub kind: Kind,
    /// Discount in percent of the order total.
    pub discount: Decimal,
    /// Most vouchers per order.
    pub order_quantity_limit: i64,
    /// What it offers as stored, for messages (see [`Product::offered_values`]).
    offered: String,
}

impl Product {
    /// Parses a stored row; a field that does not parse is a
    /// [`CorruptProduct`].
    pub fn from_row(row: &ProductRow) -> std::result::Result<Self, CorruptProduct> {
        let corrupt = |problem: String| CorruptProduct {
            id: row.id,
            problem,
        };
        let enum_field = |e: UnknownValue| corrupt(e.to_string());
        let currency = Currency::parse(&row.currency_code).map_err(corrupt)?;
        let value_type: ValueType = row.value_type.parse().map_err(enum_field)?;
        let denominations = row
            .denominations
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| Money::parse(d, currency))
            .collect::<std::result::Result<Vec<Money>, String>>()
            .map_err(|e| corrupt(format!("denominations: {e}")))?;
        let bound = |field: &str, text: &str| {
            Decimal::parse(text).map_err(|e| corrupt(format!("{field}: {e}")))
        };
        let min_value = bound("min_value", &row.min_value)?.ceil_money(currency);
        let max_value = bound("max_value", &row.max_value)?.floor_money(currency);
        let countries: Vec<std::collections::HashMap<String, String>> =
            serde_json::from_str(&row.countries).map_err(|e| corrupt(format!("countries: {e}")))?;
        let offered = match value_type {
            ValueType::OpenValue => format!("from {} to {}", row.min_value, row.max_value),
            ValueType::FixedDenomination => row.denominations.clone(),
        };
        Ok(Product {
            id: row.id,
            name: row.name.clone(),
            currency,
            country_code: row.country_code.clone(),
            countries: countries
                .into_iter()
                .filter_map(|mut c| Some((c.remove("code")?, c.remove("name").unwrap_or_default())))
                .collect(),
            value_type,
            denominations,
            min_value,
            max_value,
            delivery_type: row.delivery_type.parse().map_err(enum_field)?,
            kind: row.kind.parse().map_err(enum_field)?,
            discount: Decimal::parse(&row.discount)
                .map_err(|e| corrupt(format!("discount: {e}")))
                .and_then(|d| {
                    if d.cmp_whole(100).is_ge() {
                        Err(corrupt(format!(
                            "discount {} is not below 100",
                            row.discount
                        )))
                    } else {
                        Ok(d)
                    }
                })?,
            order_quantity_limit: row.order_quantity_limit,
            offered,
        })
    }

    /// True when the product sells vouchers worth `value` (in the product's
    /// currency): one of its denominations, or (open value) a positive
    /// amount inside its range.
    pub fn offers(&self, value: Money) -> bool {
        if value.currency != self.currency {
            return false;
        }
        match self.value_type {
            ValueType::OpenValue => {
                value.minor > 0
                    && value.minor >= self.min_value.minor
                    && value.minor <= self.max_value.minor
            }
            ValueType::FixedDenomination => self.denominations.contains(&value),
        }
    }

    /// What the product offers, for messages: `100,500` or `from 10 to 500`.
    pub fn offered_values(&self) -> &str {
        &self.offered
    }

    /// True when the product is sold in the country (ISO 3166 alpha-2).
    pub fn sold_in(&self, country_code: &str) -> bool {
        self.countries
            .iter()
            .any(|(code, _)| code.eq_ignore_ascii_case(country_code))
    }

    /// True when the product's codes come from the inventory (not minted).
    pub fn is_stocked(&self) -> bool {
        self.kind == Kind::Inventory
    }
}

/// A product as written in an import file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProductInput {
    product_id: Option<i64>,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    terms_and_conditions_instructions: String,
    #[serde(default)]
    expiry_and_validity: String,
    #[serde(default)]
    redemption_instructions: String,
    #[serde(default)]
    categories: String,
    /// Accepted (files may be getVouchers output) and ignored: set at import.
    #[serde(default, rename = "lastUpdateDate")]
    _last_update_date: Option<IgnoredAny>,
    #[serde(default)]
    image_url: String,
    currency_code: String,
    #[serde(default)]
    currency_name: String,
    #[serde(default)]
    country_name: String,
    #[serde(default)]
    country_code: String,
    #[serde(default)]
    countries: Vec<CountryInput>,
    #[serde(default)]
    exchange_rate_rule: Option<Value>,
    value_type: String,
    #[serde(default)]
    min_value: Option<Value>,
    #[serde(default)]
    max_value: Option<Value>,
    #[serde(default)]
    value_denominations: String,
    #[serde(default)]
    tat_in_days: String,
    #[serde(default)]
    usage_type: String,
    #[serde(default)]
    delivery_type: Option<String>,
    /// Accepted and ignored: always `"0"` on the wire.
    #[serde(default, rename = "isCommon")]
    _is_common: Option<IgnoredAny>,
    #[serde(default)]
    fee: Option<Value>,
    #[serde(default)]
    discount: Option<Value>,
    /// Accepted and ignored: computed per company at request time.
    #[serde(default, rename = "exchangeRate")]
    _exchange_rate: Option<IgnoredAny>,
    #[serde(default)]
    order_quantity_limit: Option<i64>,
    #[serde(default)]
    kind: Option<String>,
}

/// One `{code, name}` of `countries`.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct CountryInput {
    code: String,
    name: String,
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
fn country_code(code: &str) -> std::result::Result<String, String> {
    let code = code.trim().to_ascii_uppercase();
    match celes::Country::from_alpha2(&code) {
        Ok(_) => Ok(code),
        Err(_) => Err(format!(
            "`{}` is not an ISO 3166-1 alpha-2 country code (such as IN or US)",
            super::scopes::truncate(&code, 16)
        )),
    }
}

/// A decimal given as a JSON number or a string.
fn decimal(
    field: &str,
    value: Option<&Value>,
    default: &str,
) -> std::result::Result<String, String> {
    let text = match value {
        None | Some(Value::Null) => return Ok(default.to_string()),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(default.to_string()),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(format!("{field} must be a number")),
    };
    Decimal::parse(&text)
        .map(|d| d.to_text())
        .map_err(|e| format!("{field}: {e}"))
}

impl ProductInput {
    /// Checks every rule — reporting every problem of the product, not only
    /// the first — with `id` the product id to use.
    fn into_row(self, id: i64, now: i64) -> std::result::Result<ProductRow, String> {
        let mut errors: Vec<String> = Vec::new();
        // The value of a check, or its default after noting the problem.
        macro_rules! ok {
            ($check:expr, $default:expr) => {
                match $check {
                    Ok(value) => value,
                    Err(e) => {
                        errors.push(e.to_string());
                        $default
                    }
                }
            };
        }
        let name = ok!(check_name("name", &self.name, 200), String::new());
        let currency = ok!(Currency::parse(&self.currency_code).map(Some), None);
        let value_type: ValueType = ok!(
            self.value_type.parse::<ValueType>(),
            ValueType::FixedDenomination
        );
        let mut denominations = Vec::new();
        for part in self
            .value_denominations
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if let Some(currency) = currency {
                match Money::parse(part, currency) {
                    Ok(money) if money.minor == 0 => {
                        errors.push("valueDenominations: a denomination must be above zero".into())
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(format!("valueDenominations: {e}")),
                }
            }
            denominations.push(part.to_string());
        }
        if value_type == ValueType::FixedDenomination && denominations.is_empty() {
            errors.push("valueDenominations is required for fixed_denomination products (e.g. \"10,20,50\")".into());
        }
        let delivery_type = match self.delivery_type.as_deref() {
            None => DeliveryType::Realtime,
            Some(text) => ok!(text.parse::<DeliveryType>(), DeliveryType::Realtime),
        };
        let kind = match self.kind.as_deref() {
            None => Kind::Inventory,
            Some(text) => ok!(text.parse::<Kind>(), Kind::Inventory),
        };
        let limit = self.order_quantity_limit.unwrap_or(10);
        if !(1..=10_000).contains(&limit) {
            errors.push("orderQuantityLimit must be between 1 and 10000".into());
        }
        let mut countries = self.countries;
        for c in &mut countries {
            if c.code.trim().is_empty() || c.name.trim().is_empty() {
                errors.push("countries need a code and a name".into());
                continue;
            }
            c.code = ok!(country_code(&c.code), c.code.clone());
        }
        let country_code = if self.country_code.is_empty() {
            countries
                .first()
                .map(|c| c.code.clone())
                .unwrap_or_default()
        } else {
            ok!(self::country_code(&self.country_code), String::new())
        };
        let country_name = if self.country_name.is_empty() {
            countries
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_default()
        } else {
            self.country_name.clone()
        };
        if countries.is_empty() && !country_code.is_empty() {
            countries.push(CountryInput {
                code: country_code.clone(),
                name: country_name.clone(),
            });
        }
        if countries.is_empty() {
            errors.push("a product needs at least one country (countryCode or countries)".into());
        }
        let min_value = ok!(
            decimal("minValue", self.min_value.as_ref(), "0"),
            String::new()
        );
        let max_value = ok!(
            decimal("maxValue", self.max_value.as_ref(), "0"),
            String::new()
        );
        if let (ValueType::OpenValue, Some(currency)) = (value_type, currency) {
            let mut bound = |field: &str, text: &str| match Money::parse(text, currency) {
                Ok(money) if money.minor <= 0 => {
                    errors.push(format!("{field} must be above zero"));
                    None
                }
                Ok(money) => Some(money),
                Err(e) => {
                    errors.push(format!("{field}: {e}"));
                    None
                }
            };
            let (min, max) = (bound("minValue", &min_value), bound("maxValue", &max_value));
            if let (Some(min), Some(max)) = (min, max) {
                if min.minor > max.minor {
                    errors.push(format!(
                        "minValue {min_value} is above maxValue {max_value}"
                    ));
                }
            }
        }
        let discount = ok!(
            decimal("discount", self.discount.as_ref(), "0"),
            String::new()
        );
        if Decimal::parse(&discount).is_ok_and(|d| d.cmp_whole(100).is_ge()) {
            errors.push(format!(
                "discount {discount} must be at least 0 and below 100 (percent); a voucher must cost something"
            ));
        }
        let exchange_rate_rule = ok!(
            decimal("exchangeRateRule", self.exchange_rate_rule.as_ref(), "1"),
            String::new()
        );
        let fee = ok!(decimal("fee", self.fee.as_ref(), "0"), String::new());
        let countries_json = ok!(serde_json::to_string(&countries), String::new());
        let Some(currency) = currency.filter(|_| errors.is_empty()) else {
            return Err(errors.join("; "));
        };
        Ok(ProductRow {
            id,
            name,
            description: self.description,
            terms: self.terms_and_conditions_instructions,
            expiry_validity: self.expiry_and_validity,
            redemption_instructions: self.redemption_instructions,
            categories: self.categories,
            image_url: self.image_url,
            currency_code: currency.as_str().to_string(),
            currency_name: self.currency_name,
            country_code,
            country_name,
            countries: countries_json,
            exchange_rate_rule,
            value_type: value_type.as_str().to_string(),
            min_value,
            max_value,
            denominations: denominations.join(","),
            tat_in_days: if self.tat_in_days.is_empty() {
                "0".into()
            } else {
                self.tat_in_days
            },
            usage_type: self.usage_type,
            delivery_type: delivery_type.as_str().to_string(),
            fee,
            discount,
            order_quantity_limit: limit,
            kind: kind.as_str().to_string(),
            updated_at: now,
        })
    }
}

/// A product read from a file, with where it was.
struct Located {
    place: String,
    input: std::result::Result<ProductInput, String>,
}

fn from_json(text: &str) -> Result<Vec<Located>> {
    /// `{"products": [...]}`, or the list of products alone.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum File {
        Object(Products),
        List(Vec<Value>),
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Products {
        products: Vec<Value>,
    }
    let file: File = serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "the file is neither a JSON object {{\"products\": [...]}} nor a JSON list of products: {e}"
        ))
    })?;
    let products = match file {
        File::Object(Products { products }) | File::List(products) => products,
    };
    Ok(products
        .into_iter()
        .enumerate()
        .map(|(i, value)| Located {
            place: format!("product #{} (index {i})", i + 1),
            input: serde_json::from_value(value).map_err(|e| e.to_string()),
        })
        .collect())
}

/// A CSV reader over `text` (fields trimmed) and its header row.
pub(super) fn csv_reader(text: &str) -> Result<(csv::Reader<&[u8]>, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Invalid(format!("the CSV header row cannot be read: {e}")))?
        .clone();
    Ok((reader, headers))
}

const INTEGER_FIELDS: [&str; 2] = ["productId", "orderQuantityLimit"];

fn from_csv(text: &str) -> Result<Vec<Located>> {
    let (mut reader, headers) = csv_reader(text)?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| Error::Invalid(format!("the CSV file is malformed: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let mut object = serde_json::Map::new();
        let mut problem = None;
        for (header, value) in headers.iter().zip(record.iter()) {
            if value.is_empty() {
                continue;
            }
            let json_value = if header == "countries" {
                let mut list = Vec::new();
                for pair in value.split(';').filter(|p| !p.trim().is_empty()) {
                    match pair.split_once(':') {
                        Some((code, name)) => {
                            list.push(json!({"code": code.trim(), "name": name.trim()}))
                        }
                        None => {
                            problem = Some(format!(
                                "countries `{pair}` must look like IN:India;US:United States"
                            ))
                        }
                    }
                }
                Value::Array(list)
            } else if INTEGER_FIELDS.contains(&header) {
                match value.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => {
                        problem = Some(format!("{header} `{value}` is not a whole number"));
                        Value::Null
                    }
                }
            } else {
                Value::String(value.to_string())
            };
            object.insert(header.to_string(), json_value);
        }
        out.push(Located {
            place: format!("line {line}"),
            input: match problem {
                Some(p) => Err(p),
                None => serde_json::from_value(Value::Object(object)).map_err(|e| e.to_string()),
            },
        });
    }
    Ok(out)
}

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    /// Products written.
    pub count: usize,
    /// Their ids, in file order.
    pub product_ids: Vec<i64>,
}

/// Imports a catalog file (`.json` or `.csv`, by content). Every product is
/// checked first; any error is reported with its place and nothing is
/// written. `progress` is called with (done, total) while writing.
pub async fn import(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    text: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Imported> {
    let located = if text.trim_start().starts_with(['{', '[']) {
        from_json(text)?
    } else {
        from_csv(text)?
    };
    if located.is_empty() {
        return Err(Error::Invalid("the file has no products".into()));
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let mut next_id = catalog::max_id(&mut tx).await? + 1;
    let mut rows = Vec::with_capacity(located.len());
    let mut errors = Vec::new();
    let mut seen: BTreeMap<i64, String> = BTreeMap::new();
    for item in located {
        let row = item.input.and_then(|input| {
            let id = match input.product_id {
                Some(id) if id >= 1 => id,
                Some(_) => return Err("productId must be a positive whole number".into()),
                None => {
                    next_id += 1;
                    next_id - 1
                }
            };
            input.into_row(id, now)
        });
        match row {
            Ok(row) => {
                if let Some(first) = seen.insert(row.id, item.place.clone()) {
                    errors.push(format!(
                        "{}: productId {} is also used by {first}",
                        item.place, row.id
                    ));
                }
                next_id = next_id.max(row.id + 1);
                rows.push(row);
            }
            Err(e) => errors.push(format!("{}: {e}", item.place)),
        }
    }
    if !errors.is_empty() {
        let shown = errors
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ");
        let more = if errors.len() > 20 {
            format!("\n  … and {} more", errors.len() - 20)
        } else {
            String::new()
        };
        return Err(Error::Invalid(format!(
            "{} product(s) are invalid; nothing was imported. Fix these and import again:\n  {shown}{more}",
            errors.len()
        )));
    }
    let total = rows.len();
    for (i, row) in rows.iter().enumerate() {
        catalog::upsert(&mut tx, row).await?;
        progress(i + 1, total);
    }
    catalog::bump_version(&mut tx).await?;
    let product_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    super::record(
        &mut tx,
        actor,
        None,
        "catalog.imported",
        "catalog",
        serde_json::json!({ "products": product_ids }),
        clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(Imported {
        count: total,
        product_ids,
    })
}

/// Sets the rate for charging `from` amounts in `to` (units of `to` per unit
/// of `from`).
pub async fn set_rate(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    from: &str,
    to: &str,
    rate: &str,
) -> Result<Decimal> {
    let from = Currency::parse(from).map_err(Error::Invalid)?;
    let to = Currency::parse(to).map_err(Error::Invalid)?;
    let rate = Decimal::parse(rate).map_err(Error::Invalid)?;
    if rate.is_zero() {
        return Err(Error::Invalid("the rate must be above zero".into()));
    }
    if from == to {
        return Err(Error::Invalid("from and to are the same currency".into()));
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    catalog::set_rate(&mut tx, from.as_str(), to.as_str(), &rate.to_text(), now).await?;
    super::record(
        &mut tx,
        actor,
        None,
        "fx.rate_set",
        &format!("fx:{from}:{to}"),
        serde_json::json!({ "rate": rate.to_text() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(rate)
}

/// The rate from `from` to `to`: 1 for the same currency, `None` when unset.
pub async fn rate(db: &Db, from: Currency, to: Currency) -> Result<Option<Decimal>> {
    if from == to {
        return Ok(Some(Decimal::ONE));
    }
    match catalog::rate(db.reader(), from.as_str(), to.as_str()).await? {
        Some(text) => Ok(Some(
            Decimal::parse(&text).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?,
        )),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value_type: &str, denominations: &str, min: &str, max: &str) -> ProductRow {
        ProductRow {
            id: 7,
            currency_code: "INR".into(),
            countries: r#"[{"code":"IN","name":"India"}]"#.into(),
            value_type: value_type.into(),
            min_value: min.into(),
            max_value: max.into(),
            denominations: denominations.into(),
            delivery_type: "realtime".into(),
            kind: "inventory".into(),
            discount: "2.5".into(),
            ..ProductRow::default()
        }
    }

    fn inr(amount: &str) -> Money {
        Money::parse(amount, Currency::parse("INR").unwrap()).unwrap()
    }

    #[test]
    fn enums_round_trip_their_text_and_name_a_bad_value() {
        for v in [ValueType::FixedDenomination, ValueType::OpenValue] {
            assert_eq!(v.as_str().parse::<ValueType>(), Ok(v));
        }
        for k in [Kind::Inventory, Kind::Generated] {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        for d in [DeliveryType::Realtime, DeliveryType::Delayed] {
            assert_eq!(d.as_str().parse::<DeliveryType>(), Ok(d));
        }
        assert_eq!(
            "Open_Value".parse::<ValueType>().unwrap_err().to_string(),
            "valueType `Open_Value` must be fixed_denomination or open_value"
        );
        assert_eq!(
            "later".parse::<DeliveryType>().unwrap_err().to_string(),
            "deliveryType `later` must be realtime or delayed"
        );
        assert_eq!(
            "gift".parse::<Kind>().unwrap_err().to_string(),
            "kind `gift` must be inventory or generated"
        );
    }

    #[test]
    fn fixed_products_offer_their_denominations() {
        let p = Product::from_row(&row("fixed_denomination", "100,500.50", "0", "0")).unwrap();
        assert_eq!(p.denominations, [inr("100"), inr("500.5")]);
        assert!(p.offers(inr("500.50")));
        assert!(!p.offers(inr("200")));
        assert_eq!(p.offered_values(), "100,500.50");
        assert!(p.sold_in("in"));
        assert!(!p.sold_in("US"));
        assert!(p.is_stocked());
    }

    #[test]
    fn open_products_offer_whole_minor_units_inside_their_range() {
        let p = Product::from_row(&row("open_value", "", "10.555", "20")).unwrap();
        assert_eq!((p.min_value, p.max_value), (inr("10.56"), inr("20")));
        assert!(!p.offers(inr("10.55")));
        assert!(p.offers(inr("10.56")));
        assert!(p.offers(inr("20")));
        assert!(!p.offers(inr("20.01")));
        assert_eq!(p.offered_values(), "from 10.555 to 20");
    }

    #[test]
    fn a_stored_row_that_does_not_parse_names_its_problem() {
        let mut bad = row("fixed_denomination", "100", "0", "0");
        bad.kind = "gift".into();
        assert_eq!(
            Product::from_row(&bad).unwrap_err().to_string(),
            "stored product 7 is invalid: kind `gift` must be inventory or generated"
        );
        let bad = row("fixed_denomination", "100,abc", "0", "0");
        assert!(Product::from_row(&bad)
            .unwrap_err()
            .to_string()
            .starts_with("stored product 7 is invalid: denominations: "));
    }
}
