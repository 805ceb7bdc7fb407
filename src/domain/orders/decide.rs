//! The decision over a batch's snapshot, in memory: each order in arrival
//! order against the poNumbers already used, the company's running balance
//! and the codes left. No I/O: the desk reads the [`Snapshot`] and writes
//! what is accepted.
//!
//! May touch: `domain::orders`, `domain::catalog`, `domain::money`, and the
//! row types of `store` (`orders`, `catalog`, `ledger`); no I/O.

use std::collections::{HashMap, HashSet, VecDeque};

use super::{
    desk::Job,
    mint_code,
    price::{price, Priced},
    OrderError, Placed,
};
use crate::{
    domain::{
        catalog::{CorruptProduct, DeliveryType, Product},
        money::{Currency, Money},
    },
    store::{
        ledger,
        orders::{CodeRow, DeliveryStatus, OrderRow, OrderStatus},
    },
};

/// What a batch's decisions rest on, read under its locks.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    /// The batch's products by id; a stored row that does not parse is
    /// kept as its error, which refuses only the orders of that product.
    pub(super) products: HashMap<i64, Result<Product, CorruptProduct>>,
    /// The batch's companies' accounts, locked.
    pub(super) accounts: HashMap<i64, ledger::Account>,
    /// (company, poNumber) pairs already used.
    pub(super) used: HashSet<(i64, String)>,
    /// Stored rate text per (product currency, base currency) pair that
    /// differ; `None` when no rate is set.
    pub(super) rates: HashMap<(Currency, Currency), Option<String>>,
}

impl Snapshot {
    /// The job's (product currency, base currency), when both are known.
    pub(super) fn currencies(&self, job: &Job) -> Option<(Currency, Currency)> {
        let product = self.products.get(&job.new.product_id)?.as_ref().ok()?;
        let account = self.accounts.get(&job.company_id)?;
        let base = Currency::parse(&account.base_currency).ok()?;
        Some((product.currency, base))
    }

    /// Checks and prices the job's order on its own (see [`price`]).
    pub(super) fn price(&self, job: &Job) -> Result<Priced<'_>, OrderError> {
        let product = match self.products.get(&job.new.product_id) {
            None => return Err(OrderError::ProductNotFound),
            Some(Err(corrupt)) => return Err(OrderError::Internal(anyhow::anyhow!("{corrupt}"))),
            Some(Ok(product)) => product,
        };
        let account = self.accounts.get(&job.company_id).ok_or_else(|| {
            OrderError::Internal(anyhow::anyhow!("company {} does not exist", job.company_id))
        })?;
        let rate = self
            .currencies(job)
            .and_then(|pair| self.rates.get(&pair))
            .and_then(Option::as_deref);
        price(product, account, &job.new, rate)
    }
}

/// Unsold codes, oldest first, per (product, denomination).
pub(super) type Pools = HashMap<(i64, i64), VecDeque<(i64, CodeRow)>>;

/// What an accepted order is given.
#[derive(Debug)]
pub(super) enum Fill {
    /// Codes from the inventory, with their ids.
    Stock(Vec<(i64, CodeRow)>),
    /// New codes of a `generated` product.
    Minted(Vec<String>),
    /// None yet: a `delayed` product waits, charged, for codes to arrive.
    Pending,
}

/// An order that passed every check, to be written.
#[derive(Debug)]
pub(super) struct Accepted {
    /// The order row (its id is set once written).
    pub(super) row: OrderRow,
    /// Its codes.
    pub(super) fill: Fill,
    /// E-mail the company's admins.
    pub(super) notify_admin: bool,
    /// The product's country code.
    pub(super) country: String,
}

impl Accepted {
    /// The caller's answer once the order is written.
    pub(super) fn into_placed(self) -> Placed {
        let codes = match self.fill {
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
        Placed {
            order: self.row,
            codes,
            created: true,
            country: self.country,
        }
    }
}

/// How one job of a batch was decided.
#[derive(Debug)]
pub(super) enum Decision {
    /// The company used the poNumber before (or earlier in the batch).
    Existing,
    /// Refused, with why.
    Refused(OrderError),
    /// To be written.
    Accepted(Box<Accepted>),
}

/// Decides each order in arrival order: a used poNumber answers with its
/// order; then the order's own checks, the company's running balance and
/// the codes left decide. Returns one decision per job, in job order.
pub(super) fn decide(
    jobs: &[Job],
    priced: Vec<Result<Priced<'_>, OrderError>>,
    snapshot: &Snapshot,
    mut pools: Pools,
    now: i64,
) -> Vec<Decision> {
    let mut used = snapshot.used.clone();
    let mut balances: HashMap<i64, i64> = snapshot
        .accounts
        .iter()
        .map(|(id, a)| (*id, a.balance_minor))
        .collect();
    let mut decisions = Vec::with_capacity(jobs.len());
    for (job, priced) in jobs.iter().zip(priced) {
        let new = &job.new;
        let key = (job.company_id, new.po_number.clone());
        if used.contains(&key) {
            decisions.push(Decision::Existing);
            continue;
        }
        let p = match priced {
            Ok(p) => p,
            Err(e) => {
                decisions.push(Decision::Refused(e));
                continue;
            }
        };
        let balance = balances.entry(job.company_id).or_default();
        if *balance < p.charged.minor {
            decisions.push(Decision::Refused(OrderError::NotProcessable(format!(
                "not enough balance: the order costs {}, the balance is {}",
                p.charged,
                Money {
                    minor: *balance,
                    currency: p.base
                }
            ))));
            continue;
        }
        let product = p.product;
        let fill = if !product.is_stocked() {
            Fill::Minted((0..new.quantity).map(|_| mint_code()).collect())
        } else {
            let pool = pools.entry((product.id, p.value.minor)).or_default();
            if pool.len() as i64 >= new.quantity {
                Fill::Stock(pool.drain(..new.quantity as usize).collect())
            } else if product.delivery_type == DeliveryType::Delayed {
                Fill::Pending
            } else {
                decisions.push(Decision::Refused(OrderError::NotProcessable(format!(
                    "not enough inventory: {} voucher(s) of {} {} left for product {}",
                    pool.len(),
                    new.denomination,
                    product.currency,
                    product.id
                ))));
                continue;
            }
        };
        *balance -= p.charged.minor;
        used.insert(key);
        let delivered = !matches!(fill, Fill::Pending);
        decisions.push(Decision::Accepted(Box::new(Accepted {
            row: OrderRow {
                id: 0,
                company_id: job.company_id,
                po_number: new.po_number.clone(),
                product_id: product.id,
                product_name: product.name.clone(),
                denomination_minor: p.value.minor,
                quantity: new.quantity,
                currency_code: product.currency.as_str().to_string(),
                currency_value: p.rate.to_text(),
                order_total_minor: p.total.minor,
                discount_minor: p.discount.minor,
                discount_percent: p.discount_percent.to_text(),
                amount_charged_minor: p.charged.minor,
                base_currency: p.base.as_str().to_string(),
                order_status: if delivered {
                    OrderStatus::Complete
                } else {
                    OrderStatus::Pending
                },
                delivery_status: if delivered {
                    DeliveryStatus::Delivered
                } else {
                    DeliveryStatus::Pending
                },
                email: p.email.unwrap_or_default(),
                contact: new.contact.clone().unwrap_or_default(),
                tag: new.tag.clone().unwrap_or_default(),
                notify_receiver: i64::from(new.notify_receiver),
                created_at: now,
                delivered_at: delivered.then_some(now),
            },
            fill,
            notify_admin: new.notify_admin,
            country: product.country_code.clone(),
        })));
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::orders::NewOrder, store::catalog::ProductRow};

    fn product(id: i64, kind: &str, delivery_type: &str) -> Product {
        Product::from_row(&ProductRow {
            id,
            name: format!("Product {id}"),
            currency_code: "INR".into(),
            countries: "[]".into(),
            value_type: "fixed_denomination".into(),
            min_value: "0".into(),
            max_value: "0".into(),
            denominations: "100".into(),
            delivery_type: delivery_type.into(),
            kind: kind.into(),
            discount: "0".into(),
            order_quantity_limit: 5,
            ..ProductRow::default()
        })
        .expect("a valid product")
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
            snapshot.products.insert(p.id, Ok(p));
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
        decide(jobs, priced, snapshot, pools, 0)
            .into_iter()
            .map(|decision| match decision {
                Decision::Accepted(a) => match &a.fill {
                    Fill::Stock(codes) => {
                        let ids: Vec<String> = codes.iter().map(|(id, _)| id.to_string()).collect();
                        format!("stock {}", ids.join(","))
                    }
                    Fill::Minted(codes) => format!("minted {}", codes.len()),
                    Fill::Pending => "pending".into(),
                },
                Decision::Existing => "existing".into(),
                Decision::Refused(e) => e.to_string(),
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
    fn a_product_row_that_does_not_parse_refuses_only_its_orders() {
        let (mut snapshot, pools) = snapshot(500);
        let corrupt = CorruptProduct {
            id: 4,
            problem: "kind `gift` must be inventory or generated".into(),
        };
        snapshot.products.insert(4, Err(corrupt));
        let jobs = [job(1, "A", 4, 1), job(1, "B", 1, 1)];
        assert_eq!(
            run(&snapshot, pools, &jobs),
            [
                "stored product 4 is invalid: kind `gift` must be inventory or generated",
                "stock 1",
            ]
        );
    }
}
