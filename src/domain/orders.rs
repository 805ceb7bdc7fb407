//! Placing orders: a transaction checks the product, denomination,
//! quantity and balance, allocates distinct codes (or mints them), debits
//! the ledger and records the order — or does nothing. The client's
//! `poNumber` makes it idempotent per company. Concurrent orders share a
//! transaction ([`OrderDesk`]), each decided on its own.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::json;

use super::{
    catalog,
    money::{Currency, Decimal, Money},
    parse_email,
};
use crate::{
    clock::SharedClock,
    crypto,
    store::{
        batch::Batcher,
        catalog::{self as catalog_store, ProductRow},
        ledger::{self, NewEntry},
        orders::{self, CodeRow, OrderRow},
        Db, Engine, StoreError, Tx,
    },
};

/// Why an order was not placed (each maps to one error id of the API).
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// A field is wrong (`PLE10001`).
    #[error("{0}")]
    Invalid(String),
    /// No such product (`PLE10030`).
    #[error("product not found")]
    ProductNotFound,
    /// The product has no such denomination (`PLE10018`).
    #[error("{0}")]
    InvalidDenomination(String),
    /// More vouchers than the product allows per order (`PLE10041`).
    #[error("quantity is above the product's limit of {0} per order")]
    QuantityAboveLimit(i64),
    /// The product is not available in the company's country (`PLE10019`).
    #[error("{0}")]
    CountryNotAllowed(String),
    /// Not enough inventory, balance, or no exchange rate (`PLE10012`).
    #[error("{0}")]
    NotProcessable(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else unexpected (stored data that fails validation).
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for OrderError {
    fn from(e: sqlx::Error) -> Self {
        OrderError::Store(e.into())
    }
}

impl From<super::Error> for OrderError {
    fn from(e: super::Error) -> Self {
        match e {
            super::Error::Invalid(m) => OrderError::Invalid(m),
            super::Error::NotFound(_) => OrderError::ProductNotFound,
            super::Error::Store(s) => OrderError::Store(s),
            super::Error::Internal(e) => OrderError::Internal(e),
        }
    }
}

/// An order request.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Product.
    pub product_id: i64,
    /// Number of vouchers.
    pub quantity: i64,
    /// Voucher value as decimal text.
    pub denomination: String,
    /// Receiver e-mail (required to notify the receiver).
    pub email: Option<String>,
    /// Receiver phone.
    pub contact: Option<String>,
    /// Client's tag.
    pub tag: Option<String>,
    /// Idempotency key.
    pub po_number: String,
    /// E-mail the codes to `email`.
    pub notify_receiver: bool,
    /// E-mail an order summary (without codes) to the company's admins.
    pub notify_admin: bool,
}

/// A placed (or earlier) order with its codes.
#[derive(Debug)]
pub struct Placed {
    /// The order.
    pub order: OrderRow,
    /// Its codes.
    pub codes: Vec<CodeRow>,
    /// False when `poNumber` matched an earlier order.
    pub created: bool,
    /// The product's country code (for the voucher list).
    pub country: String,
}

/// Unambiguous alphabet (Crockford base 32: no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new voucher code: 16 symbols of 5 bits = 80 random bits, `XXXX-XXXX-XXXX-XXXX`.
pub fn mint_code() -> String {
    let bytes = crypto::random_bytes::<10>();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | b as u128;
    }
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[((bits >> (75 - i * 5)) & 31) as usize] as char);
    }
    out
}

/// Concurrent orders wait for a worker, which places all waiting orders in
/// one transaction (see [`crate::store::batch`]); each caller still gets
/// exactly its own outcome.
#[derive(Clone)]
pub struct OrderDesk {
    db: Db,
    jobs: Batcher<Job, Result<Answer, OrderError>>,
}

impl std::fmt::Debug for OrderDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderDesk").finish_non_exhaustive()
    }
}

/// Orders per transaction.
const MAX_BATCH: usize = 128;

/// One caller's order.
#[derive(Debug)]
struct Job {
    company_id: i64,
    new: NewOrder,
}

/// A job's outcome inside the batch.
#[derive(Debug)]
enum Answer {
    Placed(Box<Placed>),
    /// The company used the `poNumber` before (or earlier in the batch):
    /// the caller reads that order once the batch has committed.
    Existing,
}

impl OrderDesk {
    /// Starts the workers: one on SQLite (a single writer), four on
    /// PostgreSQL.
    pub fn start(db: Db, clock: SharedClock) -> Self {
        let workers = match db.engine() {
            Engine::Sqlite => 1,
            Engine::Postgres => 4,
        };
        let jobs = {
            let db = db.clone();
            Batcher::spawn("orders", workers, MAX_BATCH, move |jobs: Vec<Job>| {
                let (db, now) = (db.clone(), clock.now_ms());
                async move { place_batch(&db, now, jobs).await }
            })
        };
        Self { db, jobs }
    }

    /// Places an order for `company_id` (see module docs).
    pub async fn place(&self, company_id: i64, new: NewOrder) -> Result<Placed, OrderError> {
        let po_number = new.po_number.clone();
        let answer = self
            .jobs
            .call(Job { company_id, new })
            .await
            .map_err(|gone| OrderError::Internal(gone.into()))??;
        match answer {
            Answer::Placed(placed) => Ok(*placed),
            Answer::Existing => {
                let order = orders::find_by_po(self.db.reader(), company_id, &po_number)
                    .await?
                    .ok_or_else(|| {
                        OrderError::Internal(anyhow::anyhow!(
                            "order {po_number:?} of company {company_id} vanished"
                        ))
                    })?;
                existing_order(&self.db, order).await
            }
        }
    }
}

/// Places a batch in one transaction. Refusals (balance, inventory, bad
/// fields) are per order and do not fail the batch; if the transaction
/// itself fails, each order is retried in a transaction of its own so that
/// one order's failure is only its own.
async fn place_batch(db: &Db, now: i64, jobs: Vec<Job>) -> Vec<Result<Answer, OrderError>> {
    let alone = |e: StoreError| {
        if e.is_unique_violation() {
            // The same poNumber was committed concurrently: answer with it.
            Ok(Answer::Existing)
        } else {
            Err(OrderError::Store(e))
        }
    };
    match try_batch(db, now, &jobs).await {
        Ok(answers) => answers,
        Err(e) if jobs.len() == 1 => vec![alone(e)],
        Err(e) => {
            tracing::warn!(
                error = %e,
                orders = jobs.len(),
                "an order batch failed; placing its orders one by one"
            );
            let mut answers = Vec::with_capacity(jobs.len());
            for job in &jobs {
                answers.push(match try_batch(db, now, std::slice::from_ref(job)).await {
                    Ok(mut answer) => answer.remove(0),
                    Err(e) => alone(e),
                });
            }
            answers
        }
    }
}

/// What an accepted order is given.
enum Fill {
    /// Codes from the inventory, with their ids.
    Stock(Vec<(i64, CodeRow)>),
    /// New codes of a `generated` product.
    Minted(Vec<String>),
    /// None yet: a `delayed` product waits, charged, for codes to arrive.
    Pending,
}

/// An order that passed every check, to be written.
struct Accepted {
    /// Index of its job.
    job: usize,
    row: OrderRow,
    fill: Fill,
    notify_admin: bool,
}

fn sorted_unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// One transaction for all `jobs`: reads what they need under locks,
/// decides each in arrival order in memory, then writes the accepted ones
/// with multi-row statements.
async fn try_batch(
    db: &Db,
    now: i64,
    jobs: &[Job],
) -> Result<Vec<Result<Answer, OrderError>>, StoreError> {
    let mut tx = db.begin().await?;
    let snapshot = Snapshot::read(&mut tx, jobs).await?;
    let priced: Vec<Result<Priced, OrderError>> =
        jobs.iter().map(|job| snapshot.price(job)).collect();
    let pools = free_codes(&mut tx, jobs, &priced).await?;
    let (mut answers, mut accepted) = decide(jobs, priced, &snapshot, pools, now);
    if accepted.is_empty() {
        tx.rollback().await?;
    } else {
        write(&mut tx, &mut accepted, now).await?;
        tx.commit().await?;
    }
    for a in accepted {
        let codes = match a.fill {
            Fill::Stock(codes) => codes.into_iter().map(|(_, code)| code).collect(),
            Fill::Minted(codes) => codes
                .into_iter()
                .map(|code| CodeRow {
                    code,
                    pin: None,
                    validity: None,
                })
                .collect(),
            Fill::Pending => Vec::new(),
        };
        answers[a.job] = Some(Ok(Answer::Placed(Box::new(Placed {
            country: snapshot.products[&a.row.product_id].country_code.clone(),
            order: a.row,
            codes,
            created: true,
        }))));
    }
    Ok(answers
        .into_iter()
        .map(|a| a.expect("every job answered"))
        .collect())
}

/// What a batch's decisions rest on, read under its locks.
#[derive(Debug, Default)]
struct Snapshot {
    products: HashMap<i64, ProductRow>,
    accounts: HashMap<i64, ledger::Account>,
    /// (company, poNumber) pairs already used.
    used: HashSet<(i64, String)>,
    /// Stored rate text per (product currency, base currency) pair that
    /// differ; `None` when no rate is set.
    rates: HashMap<(String, String), Option<String>>,
}

impl Snapshot {
    /// Locks the batch's products, then its companies, each in id order
    /// (so two transactions never wait on each other in a cycle), and reads
    /// the rest with one statement each.
    async fn read(tx: &mut Tx, jobs: &[Job]) -> Result<Self, StoreError> {
        let product_ids = sorted_unique(jobs.iter().map(|j| j.new.product_id));
        for id in &product_ids {
            orders::lock_product(tx, *id).await?;
        }
        let mut snapshot = Snapshot::default();
        let company_ids = sorted_unique(jobs.iter().map(|j| j.company_id));
        for id in &company_ids {
            if let Some(account) = ledger::lock_account(tx, *id).await? {
                snapshot.accounts.insert(*id, account);
            }
        }
        for product in catalog_store::find_many(tx, &product_ids).await? {
            snapshot.products.insert(product.id, product);
        }
        for id in &company_ids {
            let pos: Vec<&str> = jobs
                .iter()
                .filter(|j| j.company_id == *id)
                .map(|j| j.new.po_number.as_str())
                .collect();
            for po in orders::existing_pos(tx, *id, &pos).await? {
                snapshot.used.insert((*id, po));
            }
        }
        for job in jobs {
            if let Some(pair) = snapshot.currencies(job) {
                if pair.0 != pair.1 && !snapshot.rates.contains_key(&pair) {
                    let rate = catalog_store::rate(&mut **tx, &pair.0, &pair.1).await?;
                    snapshot.rates.insert(pair, rate);
                }
            }
        }
        Ok(snapshot)
    }

    /// The job's (product currency, base currency).
    fn currencies(&self, job: &Job) -> Option<(String, String)> {
        let product = self.products.get(&job.new.product_id)?;
        let account = self.accounts.get(&job.company_id)?;
        Some((product.currency_code.clone(), account.base_currency.clone()))
    }

    fn price(&self, job: &Job) -> Result<Priced, OrderError> {
        let product = self
            .products
            .get(&job.new.product_id)
            .ok_or(OrderError::ProductNotFound)?;
        let account = self.accounts.get(&job.company_id).ok_or_else(|| {
            OrderError::Internal(anyhow::anyhow!("company {} does not exist", job.company_id))
        })?;
        let pair = (product.currency_code.clone(), account.base_currency.clone());
        let rate = self.rates.get(&pair).and_then(Option::as_deref);
        price(product, account, &job.new, rate)
    }
}

/// Unsold codes, oldest first, per (product, denomination).
type Pools = HashMap<(i64, i64), VecDeque<(i64, CodeRow)>>;

/// Reads as many unsold codes as the priced orders of stocked products
/// could take, per product and denomination.
async fn free_codes(
    tx: &mut Tx,
    jobs: &[Job],
    priced: &[Result<Priced, OrderError>],
) -> Result<Pools, StoreError> {
    let mut demand: HashMap<(i64, i64), i64> = HashMap::new();
    for (job, priced) in jobs.iter().zip(priced) {
        if let Ok(p) = priced {
            if p.stocked {
                *demand
                    .entry((job.new.product_id, p.value.minor))
                    .or_default() += job.new.quantity;
            }
        }
    }
    let mut pools = Pools::new();
    for ((product_id, denomination), limit) in demand {
        let codes = orders::free_codes(tx, product_id, denomination, limit).await?;
        pools.insert((product_id, denomination), codes.into());
    }
    Ok(pools)
}

/// Decides each order in arrival order: a used poNumber answers with its
/// order; then the order's own checks, the company's running balance and
/// the codes left decide. Returns the refusals and earlier orders by job
/// (`None` for accepted jobs) and the accepted orders.
fn decide(
    jobs: &[Job],
    priced: Vec<Result<Priced, OrderError>>,
    snapshot: &Snapshot,
    mut pools: Pools,
    now: i64,
) -> (Vec<Option<Result<Answer, OrderError>>>, Vec<Accepted>) {
    let mut used = snapshot.used.clone();
    let mut balances: HashMap<i64, i64> = snapshot
        .accounts
        .iter()
        .map(|(id, a)| (*id, a.balance_minor))
        .collect();
    let mut answers = Vec::with_capacity(jobs.len());
    let mut accepted = Vec::new();
    for (i, (job, priced)) in jobs.iter().zip(priced).enumerate() {
        let new = &job.new;
        let key = (job.company_id, new.po_number.clone());
        if used.contains(&key) {
            answers.push(Some(Ok(Answer::Existing)));
            continue;
        }
        let p = match priced {
            Ok(p) => p,
            Err(e) => {
                answers.push(Some(Err(e)));
                continue;
            }
        };
        let balance = balances.entry(job.company_id).or_default();
        if *balance < p.charged.minor {
            answers.push(Some(Err(OrderError::NotProcessable(format!(
                "not enough balance: the order costs {}, the balance is {}",
                p.charged,
                Money {
                    minor: *balance,
                    currency: p.base
                }
            )))));
            continue;
        }
        let product = &snapshot.products[&new.product_id];
        let fill = if !p.stocked {
            Fill::Minted((0..new.quantity).map(|_| mint_code()).collect())
        } else {
            let pool = pools.entry((new.product_id, p.value.minor)).or_default();
            if pool.len() as i64 >= new.quantity {
                Fill::Stock(pool.drain(..new.quantity as usize).collect())
            } else if product.delivery_type == "delayed" {
                Fill::Pending
            } else {
                answers.push(Some(Err(OrderError::NotProcessable(format!(
                    "not enough inventory: {} voucher(s) of {} {} left for product {}",
                    pool.len(),
                    new.denomination,
                    p.currency,
                    product.id
                )))));
                continue;
            }
        };
        *balance -= p.charged.minor;
        used.insert(key);
        let delivered = !matches!(fill, Fill::Pending);
        accepted.push(Accepted {
            job: i,
            row: OrderRow {
                id: 0,
                company_id: job.company_id,
                po_number: new.po_number.clone(),
                product_id: product.id,
                product_name: product.name.clone(),
                denomination_minor: p.value.minor,
                quantity: new.quantity,
                currency_code: p.currency.as_str().to_string(),
                currency_value: p.rate.to_text(),
                order_total_minor: p.total.minor,
                discount_minor: p.discount.minor,
                discount_percent: p.discount_percent.to_text(),
                amount_charged_minor: p.charged.minor,
                base_currency: p.base.as_str().to_string(),
                order_status: if delivered { "complete" } else { "pending" }.into(),
                delivery_status: if delivered { "delivered" } else { "pending" }.into(),
                email: p.email.unwrap_or_default(),
                contact: new.contact.clone().unwrap_or_default(),
                tag: new.tag.clone().unwrap_or_default(),
                notify_receiver: i64::from(new.notify_receiver),
                created_at: now,
                delivered_at: delivered.then_some(now),
            },
            fill,
            notify_admin: new.notify_admin,
        });
        answers.push(None);
    }
    (answers, accepted)
}

/// Writes the accepted orders (setting their ids): one debit per company,
/// then orders, codes, ledger entries and e-mails with multi-row
/// statements.
async fn write(tx: &mut Tx, accepted: &mut [Accepted], now: i64) -> Result<(), StoreError> {
    let company_ids = sorted_unique(accepted.iter().map(|a| a.row.company_id));
    for id in company_ids {
        let total: i64 = accepted
            .iter()
            .filter(|a| a.row.company_id == id)
            .map(|a| a.row.amount_charged_minor)
            .sum();
        if total > 0 && ledger::debit(tx, id, total).await?.is_none() {
            return Err(StoreError::Inconsistent(
                "a balance changed while its row was locked",
            ));
        }
    }
    let rows: Vec<OrderRow> = accepted.iter().map(|a| a.row.clone()).collect();
    let ids = orders::insert_many(tx, &rows).await?;
    for (a, id) in accepted.iter_mut().zip(ids) {
        a.row.id = id;
    }
    let assignments: Vec<(i64, i64)> = accepted
        .iter()
        .flat_map(|a| match &a.fill {
            Fill::Stock(codes) => codes
                .iter()
                .map(|(code_id, _)| (*code_id, a.row.id))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    if orders::assign_codes(tx, &assignments).await? != assignments.len() as u64 {
        return Err(StoreError::Inconsistent(
            "voucher codes were sold while their product was locked",
        ));
    }
    for a in accepted.iter() {
        if let Fill::Minted(codes) = &a.fill {
            let row = &a.row;
            orders::insert_minted(
                tx,
                row.id,
                row.product_id,
                row.denomination_minor,
                codes,
                now,
            )
            .await?;
        }
    }
    let entries: Vec<NewEntry<'_>> = accepted
        .iter()
        .map(|a| NewEntry {
            company_id: a.row.company_id,
            kind: "charge",
            amount_minor: -a.row.amount_charged_minor,
            currency: &a.row.base_currency,
            reference: Some(format!("order:{}", a.row.id)),
            created_at: now,
        })
        .collect();
    ledger::insert_entries(tx, &entries).await?;
    for a in accepted.iter() {
        let payload = json!({ "order_id": a.row.id, "company_id": a.row.company_id });
        if a.row.delivered_at.is_some() && a.row.notify_receiver == 1 {
            crate::store::outbox::enqueue(tx, "order_email", &payload, now).await?;
        }
        if a.notify_admin {
            crate::store::outbox::enqueue(tx, "order_admin_email", &payload, now).await?;
        }
    }
    Ok(())
}

/// An order's prices, checked against the product and the company.
#[derive(Debug)]
struct Priced {
    /// The product's currency.
    currency: Currency,
    /// The company's base currency.
    base: Currency,
    /// One voucher.
    value: Money,
    /// value × quantity.
    total: Money,
    discount_percent: Decimal,
    discount: Money,
    /// Base-currency units per voucher-currency unit.
    rate: Decimal,
    /// (total − discount) in the base currency.
    charged: Money,
    /// The receiver's address, normalised.
    email: Option<String>,
    /// The product's codes come from the inventory (not minted).
    stocked: bool,
}

/// Checks an order against its product and company; `rate` is the stored
/// exchange rate text from the product's currency to the base currency, if
/// one is set (not needed when the two are the same).
fn price(
    product: &ProductRow,
    account: &ledger::Account,
    new: &NewOrder,
    rate: Option<&str>,
) -> Result<Priced, OrderError> {
    let currency = Currency::parse(&product.currency_code).map_err(OrderError::Invalid)?;
    let value = Money::parse(&new.denomination, currency).map_err(|e| {
        OrderError::InvalidDenomination(format!("denomination {}: {e}", new.denomination))
    })?;
    if !catalog::offers(product, value) {
        return Err(OrderError::InvalidDenomination(format!(
            "product {} has no denomination {}; it offers {}",
            product.id,
            new.denomination,
            catalog::offered_values(product)
        )));
    }
    if new.quantity > product.order_quantity_limit {
        return Err(OrderError::QuantityAboveLimit(product.order_quantity_limit));
    }
    let email = match new.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => Some(parse_email(e).map_err(|e| OrderError::Invalid(format!("email: {e}")))?),
        None if new.notify_receiver => {
            return Err(OrderError::Invalid(
                "email is required when notifyReceiverEmail is 1".into(),
            ))
        }
        None => None,
    };
    if let Some(country) = &account.country_code {
        if !catalog::sold_in(product, country) {
            return Err(OrderError::CountryNotAllowed(format!(
                "product {} is not available in {country}, the country of your company",
                product.id
            )));
        }
    }
    let base = Currency::parse(&account.base_currency).map_err(OrderError::Invalid)?;
    let rate = match rate {
        _ if currency == base => Decimal::parse("1").expect("valid"),
        Some(text) => Decimal::parse(text)
            .map_err(|e| OrderError::Internal(anyhow::anyhow!("stored rate {text:?}: {e}")))?,
        None => {
            return Err(OrderError::NotProcessable(format!(
                "no exchange rate from {currency} to {base} is set; ask the operator to run `galley fx set`"
            )))
        }
    };
    let total = Money {
        minor: value
            .minor
            .checked_mul(new.quantity)
            .ok_or_else(|| OrderError::Invalid("quantity is too large".into()))?,
        currency,
    };
    let discount_percent =
        Decimal::parse(&product.discount).unwrap_or_else(|_| Decimal::parse("0").expect("valid"));
    let discount = discount_percent.percent_of(total);
    let net = Money {
        minor: total.minor - discount.minor,
        currency,
    };
    Ok(Priced {
        currency,
        base,
        value,
        total,
        discount_percent,
        discount,
        rate,
        charged: rate.convert(net, base),
        email,
        stocked: product.kind != "generated",
    })
}

async fn existing_order(db: &Db, order: OrderRow) -> Result<Placed, OrderError> {
    let codes = orders::codes(db.reader(), order.id).await?;
    let country = catalog_store::find(db.reader(), order.product_id)
        .await?
        .map(|p| p.country_code)
        .unwrap_or_default();
    Ok(Placed {
        order,
        codes,
        created: false,
        country,
    })
}

/// Gives waiting orders of a product and denomination their codes, oldest
/// first, in the caller's transaction (after new codes were imported).
pub async fn fulfil_pending(
    tx: &mut crate::store::Tx,
    product_id: i64,
    denomination_minor: i64,
    now: i64,
) -> Result<usize, OrderError> {
    let mut fulfilled = 0;
    for order in orders::pending(tx, product_id, denomination_minor).await? {
        let got = orders::allocate(tx, order.id, product_id, denomination_minor, order.quantity)
            .await?
            .len() as i64;
        if got < order.quantity {
            orders::release(tx, order.id).await?;
            break;
        }
        orders::mark_delivered(tx, order.id, now).await?;
        if order.notify_receiver == 1 {
            crate::store::outbox::enqueue(
                tx,
                "order_email",
                &json!({ "order_id": order.id, "company_id": order.company_id }),
                now,
            )
            .await?;
        }
        fulfilled += 1;
    }
    Ok(fulfilled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: i64, kind: &str, delivery_type: &str) -> ProductRow {
        ProductRow {
            id,
            name: format!("Product {id}"),
            currency_code: "INR".into(),
            value_type: "fixed_denomination".into(),
            denominations: "100".into(),
            delivery_type: delivery_type.into(),
            kind: kind.into(),
            discount: "0".into(),
            order_quantity_limit: 5,
            ..ProductRow::default()
        }
    }

    fn job(company_id: i64, po: &str, product_id: i64, quantity: i64) -> Job {
        Job {
            company_id,
            new: NewOrder {
                product_id,
                quantity,
                denomination: "100".into(),
                email: None,
                contact: None,
                tag: None,
                po_number: po.into(),
                notify_receiver: false,
                notify_admin: false,
            },
        }
    }

    /// Company 1 with `balance` INR; products 1 (3 codes in stock),
    /// 2 (generated) and 3 (delayed, no stock); poNumber `OLD` used.
    fn snapshot(balance: i64) -> (Snapshot, Pools) {
        let mut snapshot = Snapshot::default();
        for p in [
            product(1, "inventory", "realtime"),
            product(2, "generated", "realtime"),
            product(3, "inventory", "delayed"),
        ] {
            snapshot.products.insert(p.id, p);
        }
        snapshot.accounts.insert(
            1,
            ledger::Account {
                balance_minor: balance * 100,
                base_currency: "INR".into(),
                country_code: None,
            },
        );
        snapshot.used.insert((1, "OLD".into()));
        let code = |id: i64| {
            (
                id,
                CodeRow {
                    code: format!("C{id}"),
                    pin: None,
                    validity: None,
                },
            )
        };
        let pools = Pools::from([((1, 10_000), (1..=3).map(code).collect())]);
        (snapshot, pools)
    }

    fn run(snapshot: &Snapshot, pools: Pools, jobs: &[Job]) -> Vec<String> {
        let priced = jobs.iter().map(|j| snapshot.price(j)).collect();
        let (answers, accepted) = decide(jobs, priced, snapshot, pools, 0);
        answers
            .into_iter()
            .enumerate()
            .map(|(i, answer)| match answer {
                None => {
                    let a = accepted.iter().find(|a| a.job == i).expect("accepted");
                    match &a.fill {
                        Fill::Stock(codes) => {
                            let ids: Vec<String> =
                                codes.iter().map(|(id, _)| id.to_string()).collect();
                            format!("stock {}", ids.join(","))
                        }
                        Fill::Minted(codes) => format!("minted {}", codes.len()),
                        Fill::Pending => "pending".into(),
                    }
                }
                Some(Ok(Answer::Existing)) => "existing".into(),
                Some(Ok(Answer::Placed(_))) => unreachable!("placed only after writing"),
                Some(Err(e)) => e.to_string(),
            })
            .collect()
    }

    #[test]
    fn orders_are_decided_in_arrival_order_against_running_stock_and_balance() {
        let (snapshot, pools) = snapshot(500);
        let jobs = [
            job(1, "A", 1, 2),   // codes 1, 2; balance 500 → 300
            job(1, "B", 1, 2),   // one code left
            job(1, "C", 1, 1),   // code 3; balance → 200
            job(1, "OLD", 1, 1), // used before the batch
            job(1, "A", 2, 1),   // used earlier in the batch
            job(1, "D", 3, 1),   // delayed, no stock: waits, charged; → 100
            job(1, "E", 2, 2),   // 200 > 100
            job(1, "F", 2, 1),   // minted; → 0
            job(1, "G", 9, 1),   // no such product
            job(1, "H", 1, 6),   // above the limit of 5
        ];
        assert_eq!(
            run(&snapshot, pools, &jobs),
            [
                "stock 1,2",
                "not enough inventory: 1 voucher(s) of 100 INR left for product 1",
                "stock 3",
                "existing",
                "existing",
                "pending",
                "not enough balance: the order costs 200.00 INR, the balance is 100.00 INR",
                "minted 1",
                "product not found",
                "quantity is above the product's limit of 5 per order",
            ]
        );
    }

    #[test]
    fn a_refused_order_leaves_its_po_number_free_for_the_next() {
        let (snapshot, pools) = snapshot(100);
        let jobs = [job(1, "X", 1, 2), job(1, "X", 1, 1), job(1, "X", 1, 1)];
        assert_eq!(
            run(&snapshot, pools, &jobs),
            [
                "not enough balance: the order costs 200.00 INR, the balance is 100.00 INR",
                "stock 1",
                "existing",
            ]
        );
    }

    #[test]
    fn minted_codes_have_80_bits_in_an_unambiguous_alphabet() {
        let code = mint_code();
        assert_eq!(code.len(), 19);
        assert!(code
            .chars()
            .filter(|c| *c != '-')
            .all(|c| ALPHABET.contains(&(c as u8))));
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        assert_ne!(code, mint_code());
    }
}
