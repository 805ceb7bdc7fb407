//! The catalog as getVouchers and getFilters read it: all products with
//! their wire JSON serialized once per catalog version, kept in the shared
//! [`crate::store::catalog_cache::CatalogCache`] (which says when it is
//! prepared again).
//!
//! Reads the catalog tables only; each row is parsed into its typed
//! [`Product`] once per version (a row that does not parse fails the load
//! as an internal error).
//!
//! May touch: `domain::catalog` (parses each row), `store::catalog` (the
//! rows, through the catalog cache in `state`), `state`, `api::plum_pro`.
//! Never `web`.

use std::sync::Arc;

use serde_json::Value;

use crate::{
    domain::catalog::{CorruptProduct, Product},
    state::AppState,
    store::catalog::ProductRow,
};

/// A product with what filters compare, prepared once.
#[derive(Debug)]
pub struct Entry {
    /// The product as stored (its wire text).
    pub row: ProductRow,
    /// The product's typed values (what filters compare).
    pub product: Product,
    /// Its getVouchers JSON without `exchangeRate`, serialized, without the
    /// opening brace: `"categories":...}` (see [`Entry::write_json`]).
    pub fields: String,
    /// Lower-cased name.
    pub name: String,
    /// Lower-cased country codes and names.
    pub countries: Vec<(String, String)>,
    /// Lower-cased categories.
    pub categories: Vec<String>,
}

/// One version of the catalog.
#[derive(Debug)]
pub struct View {
    /// The `catalog_meta` version it was read at.
    pub version: i64,
    /// Products in id order.
    pub entries: Vec<Entry>,
    /// Indexes into `entries` in name order (ties by id).
    pub by_name: Vec<usize>,
}

impl Entry {
    /// Appends the product's getVouchers object with `exchange_rate` (JSON
    /// text, e.g. `null` or `83.12`) to `out`.
    pub fn write_json(&self, exchange_rate: &str, out: &mut String) {
        out.push_str("{\"exchangeRate\":");
        out.push_str(exchange_rate);
        out.push(',');
        out.push_str(&self.fields);
    }
}

/// Prepares a stored product.
fn entry(row: ProductRow) -> Result<Entry, CorruptProduct> {
    let product = Product::from_row(&row)?;
    let mut json = super::product_json(&row, Value::Null);
    if let Value::Object(map) = &mut json {
        map.remove("exchangeRate");
    }
    let text = json.to_string();
    Ok(Entry {
        fields: text.strip_prefix('{').unwrap_or(&text).to_string(),
        name: row.name.to_lowercase(),
        countries: product
            .countries
            .iter()
            .map(|(code, name)| (code.to_lowercase(), name.to_lowercase()))
            .collect(),
        categories: row
            .categories
            .split(',')
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect(),
        row,
        product,
    })
}

/// The catalog as of now, from the shared cache (prepared again only
/// when an import moved the catalog version).
pub async fn current(state: &AppState) -> anyhow::Result<Arc<View>> {
    state.catalog.current(prepare).await
}

/// Prepares every product row of catalog `version`.
fn prepare(version: i64, rows: Vec<ProductRow>) -> anyhow::Result<View> {
    let entries = rows
        .into_iter()
        .map(entry)
        .collect::<Result<Vec<Entry>, CorruptProduct>>()?;
    let mut by_name: Vec<usize> = (0..entries.len()).collect();
    by_name.sort_by(|a, b| {
        entries[*a]
            .name
            .cmp(&entries[*b].name)
            .then(entries[*a].product.id.cmp(&entries[*b].product.id))
    });
    Ok(View {
        version,
        entries,
        by_name,
    })
}
