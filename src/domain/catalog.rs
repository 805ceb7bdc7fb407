//! The voucher catalog: products read from JSON or CSV files (the field
//! names of getVouchers, plus `kind`), validated whole before anything is
//! written, then upserted in one transaction; voucher-code inventory; and
//! exchange rates for charging other currencies.

use std::collections::BTreeMap;

use serde::{de::IgnoredAny, Deserialize};
use serde_json::{json, Value};

use super::{
    check_name,
    money::{Currency, Decimal, Money},
    Error, Result,
};
use crate::{
    clock::Clock,
    store::{catalog, catalog::ProductRow, Db},
};

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
    /// Checks every rule; `id` is the product id to use.
    fn into_row(self, id: i64, now: i64) -> std::result::Result<ProductRow, String> {
        let name = check_name("name", &self.name, 200).map_err(|e| e.to_string())?;
        let currency = Currency::parse(&self.currency_code)?;
        let value_type = match self.value_type.as_str() {
            "fixed_denomination" | "open_value" => self.value_type.clone(),
            other => {
                return Err(format!(
                    "valueType `{other}` must be fixed_denomination or open_value"
                ))
            }
        };
        let mut denominations = Vec::new();
        for part in self
            .value_denominations
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let money =
                Money::parse(part, currency).map_err(|e| format!("valueDenominations: {e}"))?;
            if money.minor == 0 {
                return Err("valueDenominations: a denomination must be above zero".into());
            }
            denominations.push(part.to_string());
        }
        if value_type == "fixed_denomination" && denominations.is_empty() {
            return Err("valueDenominations is required for fixed_denomination products (e.g. \"10,20,50\")".into());
        }
        let delivery_type = match self.delivery_type.as_deref().unwrap_or("realtime") {
            d @ ("realtime" | "delayed") => d.to_string(),
            other => {
                return Err(format!(
                    "deliveryType `{other}` must be realtime or delayed"
                ))
            }
        };
        let kind = match self.kind.as_deref().unwrap_or("inventory") {
            k @ ("inventory" | "generated") => k.to_string(),
            other => return Err(format!("kind `{other}` must be inventory or generated")),
        };
        let limit = self.order_quantity_limit.unwrap_or(10);
        if !(1..=10_000).contains(&limit) {
            return Err("orderQuantityLimit must be between 1 and 10000".into());
        }
        let mut countries = self.countries;
        for c in &countries {
            if c.code.trim().is_empty() || c.name.trim().is_empty() {
                return Err("countries need a code and a name".into());
            }
        }
        let country_code = if self.country_code.is_empty() {
            countries
                .first()
                .map(|c| c.code.clone())
                .unwrap_or_default()
        } else {
            self.country_code.clone()
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
            return Err("a product needs at least one country (countryCode or countries)".into());
        }
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
            countries: serde_json::to_string(&countries).map_err(|e| e.to_string())?,
            exchange_rate_rule: decimal("exchangeRateRule", self.exchange_rate_rule.as_ref(), "1")?,
            value_type,
            min_value: decimal("minValue", self.min_value.as_ref(), "0")?,
            max_value: decimal("maxValue", self.max_value.as_ref(), "0")?,
            denominations: denominations.join(","),
            tat_in_days: if self.tat_in_days.is_empty() {
                "0".into()
            } else {
                self.tat_in_days
            },
            usage_type: self.usage_type,
            delivery_type,
            fee: decimal("fee", self.fee.as_ref(), "0")?,
            discount: decimal("discount", self.discount.as_ref(), "0")?,
            order_quantity_limit: limit,
            kind,
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
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        products: Vec<Value>,
    }
    let file: File = serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "the file is not a JSON object {{\"products\": [...]}}: {e}"
        ))
    })?;
    Ok(file
        .products
        .into_iter()
        .enumerate()
        .map(|(i, value)| Located {
            place: format!("product #{} (index {i})", i + 1),
            input: serde_json::from_value(value).map_err(|e| e.to_string()),
        })
        .collect())
}

const INTEGER_FIELDS: [&str; 2] = ["productId", "orderQuantityLimit"];

fn from_csv(text: &str) -> Result<Vec<Located>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Invalid(format!("the CSV header row cannot be read: {e}")))?
        .clone();
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
    text: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Imported> {
    let located = if text.trim_start().starts_with('{') {
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
    tx.commit().await?;
    Ok(Imported {
        count: total,
        product_ids: rows.iter().map(|r| r.id).collect(),
    })
}

/// Imports voucher codes (CSV `code,pin,validity`) for one product and
/// denomination, all or nothing; returns how many.
pub async fn import_codes(
    db: &Db,
    clock: &dyn Clock,
    product_id: i64,
    denomination: &str,
    text: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<usize> {
    let product = catalog::find(db.reader(), product_id)
        .await?
        .ok_or(Error::NotFound("product"))?;
    let currency =
        Currency::parse(&product.currency_code).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let value = Money::parse(denomination, currency)
        .map_err(|e| Error::Invalid(format!("denomination: {e}")))?;
    if product.value_type == "fixed_denomination" && !offers(&product, value) {
        return Err(Error::Invalid(format!(
            "product {product_id} has no denomination {denomination}; it offers {}",
            product.denominations
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Invalid(format!("the CSV header row cannot be read: {e}")))?
        .clone();
    if headers.get(0) != Some("code") {
        return Err(Error::Invalid(
            "the CSV header must be code,pin,validity".into(),
        ));
    }
    let mut codes = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| Error::Invalid(format!("the CSV file is malformed: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let code = record.get(0).unwrap_or("").to_string();
        let pin = record.get(1).filter(|p| !p.is_empty()).map(str::to_string);
        let validity = record.get(2).filter(|v| !v.is_empty()).map(str::to_string);
        if code.is_empty() || code.len() > 200 {
            errors.push(format!(
                "line {line}: the code must have 1 to 200 characters"
            ));
        } else if !seen.insert(code.clone()) {
            errors.push(format!(
                "line {line}: code {code} appears twice in the file"
            ));
        }
        if let Some(v) = &validity {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            if time::Date::parse(v, format).is_err() {
                errors.push(format!("line {line}: validity `{v}` must be YYYY-MM-DD"));
            }
        }
        codes.push((code, pin, validity));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(format!(
            "nothing was imported:\n  {}",
            errors
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        )));
    }
    if codes.is_empty() {
        return Err(Error::Invalid("the file has no codes".into()));
    }
    let mut tx = db.begin().await?;
    let total = codes.len();
    for (done, chunk) in codes.chunks(500).enumerate() {
        match catalog::insert_codes(&mut tx, product_id, value.minor, chunk, clock.now_ms()).await {
            Ok(()) => progress(((done + 1) * 500).min(total), total),
            Err(e) if e.is_unique_violation() => {
                return Err(Error::Invalid(
                    "a code in the file is already in the inventory; nothing was imported".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    super::orders::fulfil_pending(&mut tx, product_id, value.minor, clock.now_ms())
        .await
        .map_err(|e| match e {
            super::orders::OrderError::Store(s) => Error::Store(s),
            other => Error::Internal(other.into()),
        })?;
    tx.commit().await?;
    Ok(total)
}

/// True when the product sells vouchers worth `value`: one of its
/// denominations, or (open value) a positive amount inside its range.
pub fn offers(product: &ProductRow, value: Money) -> bool {
    if product.value_type == "open_value" {
        let min = Money::parse(&product.min_value, value.currency)
            .map(|m| m.minor)
            .unwrap_or(0);
        let max = Money::parse(&product.max_value, value.currency)
            .map(|m| m.minor)
            .unwrap_or(i64::MAX);
        value.minor > 0 && value.minor >= min && value.minor <= max
    } else {
        product
            .denominations
            .split(',')
            .any(|d| Money::parse(d, value.currency).is_ok_and(|m| m == value))
    }
}

/// What a product offers, for messages: `100,500` or `from 10 to 500`.
pub fn offered_values(product: &ProductRow) -> String {
    if product.value_type == "open_value" {
        format!("from {} to {}", product.min_value, product.max_value)
    } else {
        product.denominations.clone()
    }
}

/// The countries where a product is sold, as `(code, name)`.
pub fn countries(product: &ProductRow) -> Vec<(String, String)> {
    let list: Vec<std::collections::HashMap<String, String>> =
        serde_json::from_str(&product.countries).unwrap_or_default();
    list.into_iter()
        .filter_map(|mut c| Some((c.remove("code")?, c.remove("name").unwrap_or_default())))
        .collect()
}

/// True when the product is sold in the country (ISO 3166 alpha-2).
pub fn sold_in(product: &ProductRow, country_code: &str) -> bool {
    countries(product)
        .iter()
        .any(|(code, _)| code.eq_ignore_ascii_case(country_code))
}

/// Sets the rate for charging `from` amounts in `to` (units of `to` per unit
/// of `from`).
pub async fn set_rate(
    db: &Db,
    clock: &dyn Clock,
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
    let mut tx = db.begin().await?;
    catalog::set_rate(
        &mut tx,
        from.as_str(),
        to.as_str(),
        &rate.to_text(),
        clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(rate)
}

/// The rate from `from` to `to`: 1 for the same currency, `None` when unset.
pub async fn rate(db: &Db, from: Currency, to: Currency) -> Result<Option<Decimal>> {
    if from == to {
        return Ok(Some(Decimal::parse("1").expect("valid")));
    }
    match catalog::rate(db.reader(), from.as_str(), to.as_str()).await? {
        Some(text) => Ok(Some(
            Decimal::parse(&text).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?,
        )),
        None => Ok(None),
    }
}
