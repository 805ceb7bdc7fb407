//! The order desk: callers' orders wait as jobs for a worker, which places
//! all waiting orders in one transaction (see [`crate::store::batch`]);
//! each caller still gets exactly its own outcome. If a batch's
//! transaction fails, each of its orders is retried alone.
//!
//! Owns the batch's transaction: reads the [`Snapshot`] under locks, has
//! [`decide`] rule on it in memory, and has [`write`] store the accepted
//! orders. Touches the orders, codes, products (locks), ledger and fx
//! tables.
//!
//! May touch: `store` (`batch`, `orders`, `catalog`, `ledger`),
//! `domain::orders` (`decide`, `price`, `write`), `domain::catalog`,
//! `clock`. Never an entry point.

use super::{
    decide::{decide, Accepted, Decision, Pools, Snapshot},
    price::Priced,
    sorted_unique,
    write::write,
    NewOrder, OrderError, Placed,
};
use crate::{
    clock::SharedClock,
    domain::{
        catalog::Product,
        money::{Currency, Money},
    },
    store::{
        batch::Batcher,
        catalog as catalog_store, ledger,
        orders::{self, OrderRow},
        Db, Engine, StoreError, Tx,
    },
};

/// Concurrent orders wait for a worker, which places all waiting orders in
/// one transaction; each caller still gets exactly its own outcome.
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
pub(super) struct Job {
    /// The ordering company.
    pub(super) company_id: i64,
    /// What it orders.
    pub(super) new: NewOrder,
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

    /// Places an order for `company_id` (see the module docs).
    pub async fn place(&self, company_id: i64, new: NewOrder) -> Result<Placed, OrderError> {
        super::price::receiver(&new)?;
        let po_number = new.po_number.clone();
        let asked = (new.product_id, new.denomination.clone(), new.quantity);
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
                same_order(&order, &asked)?;
                existing_order(&self.db, order).await
            }
        }
    }
}

/// A retry must ask for what the order of its `poNumber` was: the same
/// product, denomination and quantity. Anything else is refused, naming
/// what differs; the earlier order stays as it is.
fn same_order(
    order: &OrderRow,
    (product_id, denomination, quantity): &(i64, String, i64),
) -> Result<(), OrderError> {
    let same_denomination = Currency::parse(&order.currency_code)
        .and_then(|c| Money::parse(denomination, c))
        .is_ok_and(|m| m.minor == order.denomination_minor);
    let mut differs = Vec::new();
    if *product_id != order.product_id {
        differs.push(format!(
            "productId {} (the order has {})",
            product_id, order.product_id
        ));
    }
    if !same_denomination {
        differs.push(format!(
            "denomination {denomination} (the order has {})",
            crate::domain::money::amount_text(order.denomination_minor, &order.currency_code)
        ));
    }
    if *quantity != order.quantity {
        differs.push(format!(
            "quantity {quantity} (the order has {})",
            order.quantity
        ));
    }
    if differs.is_empty() {
        return Ok(());
    }
    Err(OrderError::PoNumberTaken(format!(
        "poNumber {} was already used for another order; this request differs in {}. Use a new poNumber for a new order",
        order.po_number,
        differs.join(", ")
    )))
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

/// One transaction for all `jobs`: reads what they need under locks,
/// decides each in arrival order in memory, then writes the accepted ones
/// with multi-row statements. Returns one answer per job, in job order.
async fn try_batch(
    db: &Db,
    now: i64,
    jobs: &[Job],
) -> Result<Vec<Result<Answer, OrderError>>, StoreError> {
    let mut tx = db.begin().await?;
    let snapshot = read_snapshot(&mut tx, jobs).await?;
    let priced: Vec<Result<Priced<'_>, OrderError>> =
        jobs.iter().map(|job| snapshot.price(job)).collect();
    let pools = free_codes(&mut tx, jobs, &priced, now).await?;
    let mut decisions = decide(jobs, priced, &snapshot, pools, now);
    let mut accepted: Vec<&mut Accepted> = decisions
        .iter_mut()
        .filter_map(|d| match d {
            Decision::Accepted(a) => Some(&mut **a),
            _ => None,
        })
        .collect();
    if accepted.is_empty() {
        tx.rollback().await?;
    } else {
        write(&mut tx, &mut accepted, now).await?;
        tx.commit().await?;
    }
    Ok(decisions
        .into_iter()
        .map(|d| match d {
            Decision::Existing => Ok(Answer::Existing),
            Decision::Refused(e) => Err(e),
            Decision::Accepted(a) => Ok(Answer::Placed(Box::new(a.into_placed()))),
        })
        .collect())
}

/// Locks the batch's products, then its companies, each in id order (so
/// two transactions never wait on each other in a cycle), and reads the
/// rest with one statement each.
async fn read_snapshot(tx: &mut Tx, jobs: &[Job]) -> Result<Snapshot, StoreError> {
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
    for row in catalog_store::find_many(tx, &product_ids).await? {
        snapshot.products.insert(row.id, Product::from_row(&row));
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
                let rate = catalog_store::rate_in(tx, pair.0.as_str(), pair.1.as_str()).await?;
                snapshot.rates.insert(pair, rate);
            }
        }
    }
    Ok(snapshot)
}

/// Reads as many unsold, still valid codes as the priced orders of stocked
/// products could take, per product and denomination.
async fn free_codes(
    tx: &mut Tx,
    jobs: &[Job],
    priced: &[Result<Priced<'_>, OrderError>],
    now: i64,
) -> Result<Pools, StoreError> {
    let today = crate::clock::day(now);
    let mut demand: std::collections::HashMap<(i64, i64), i64> = Default::default();
    for (job, priced) in jobs.iter().zip(priced) {
        if let Ok(p) = priced {
            if p.product.is_stocked() {
                *demand.entry((p.product.id, p.value.minor)).or_default() += job.new.quantity;
            }
        }
    }
    let mut pools = Pools::new();
    for ((product_id, denomination), limit) in demand {
        let codes = orders::free_codes(tx, product_id, denomination, limit, &today).await?;
        pools.insert((product_id, denomination), codes.into());
    }
    Ok(pools)
}

/// An earlier order of the same `poNumber`, with its codes.
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
