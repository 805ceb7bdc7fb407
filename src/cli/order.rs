//! `galley order ...`: one order of a company, for the operator, with its
//! voucher codes masked (codes and PINs are bearer secrets: the operator
//! sees enough to tell codes apart, never enough to use one); and the
//! cancellation of an order still waiting for codes, refunded.
//!
//! Reads the store straight (a read needs no rule) and shapes the output;
//! cancellation is [`crate::domain::orders::cancel`]'s rule.
//!
//! May touch: `store::companies`, `store::orders` (reads),
//! `domain::orders` (cancel, as the operator), `domain::money` (amount
//! text), `clock` (dates), `cli::balance` (money), `cli::session`. Never
//! another entry point.

use anyhow::anyhow;
use clap::{ArgGroup, Subcommand};
use serde_json::json;

use super::{
    balance::money,
    session::{Output, Session},
};
use crate::{clock::iso_date, store};

/// Characters of a code left visible at its end, at most.
const VISIBLE: usize = 4;

/// `galley order ...`
#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// One order with its codes masked (by --id or --po-number).
    #[command(group(ArgGroup::new("order").required(true).args(["id", "po_number"])))]
    Show {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Order id.
        #[arg(long)]
        id: Option<i64>,
        /// The order's poNumber.
        #[arg(long)]
        po_number: Option<String>,
    },
    /// Cancel an order still waiting for codes: its charge is refunded and
    /// the `order.canceled` webhook event sent.
    Cancel {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Order id.
        #[arg(long)]
        id: i64,
    },
}

/// Runs a `galley order` command.
pub(super) async fn run(s: &Session, command: OrderCommand) -> anyhow::Result<Output> {
    match command {
        OrderCommand::Show {
            company,
            id,
            po_number,
        } => {
            let reader = s.db.reader();
            store::companies::find(reader, company)
                .await?
                .ok_or_else(|| super::session::not_found(format!("company {company} not found")))?;
            let order = match (id, &po_number) {
                (Some(id), _) => {
                    store::orders::find(reader, company, id)
                        .await?
                        .ok_or_else(|| {
                            super::session::not_found(format!(
                                "order {id} of company {company} not found"
                            ))
                        })?
                }
                (None, Some(po)) => store::orders::find_by_po(reader, company, po)
                    .await?
                    .ok_or_else(|| {
                        super::session::not_found(format!(
                            "order with po number {po} of company {company} not found"
                        ))
                    })?,
                (None, None) => return Err(anyhow!("give --id or --po-number")),
            };
            show(s, order).await
        }
        OrderCommand::Cancel { company, id } => {
            let refund = crate::domain::orders::cancel(
                &s.db,
                &s.clock,
                &crate::domain::Actor::Cli,
                company,
                id,
            )
            .await
            .map_err(super::session::explain)?;
            Ok(Output::new(
                json!({ "order_id": id, "company_id": company, "canceled": true, "refund": refund.to_json() }),
                format!("order {id} canceled; {refund} refunded to company {company}"),
            ))
        }
    }
}

/// The order and its masked codes.
async fn show(s: &Session, o: store::orders::OrderRow) -> anyhow::Result<Output> {
    let codes = store::orders::codes(s.db.reader(), o.id).await?;
    let value = money(o.denomination_minor, &o.currency_code)?;
    let total = money(o.order_total_minor, &o.currency_code)?;
    let discount = money(o.discount_minor, &o.currency_code)?;
    let charged = money(o.amount_charged_minor, &o.base_currency)?;
    let created_at = iso_date(o.created_at);
    let delivered_at = o.delivered_at.map(iso_date);
    let masked: Vec<_> = codes
        .iter()
        .map(|c| (mask(&c.code), c.pin.as_ref().map(|_| "****"), &c.validity))
        .collect();
    let mut text = format!(
        "order {} ({}) of company {}\nproduct: {} {}\nvouchers: {} x {value}\ntotal: {total} \
         (discount {discount}, {}%)\ncharged: {charged}\nstatus: {}, delivery {}\ncreated: {created_at}",
        o.id,
        o.po_number,
        o.company_id,
        o.product_id,
        o.product_name,
        o.quantity,
        o.discount_percent,
        o.order_status,
        o.delivery_status,
    );
    if let Some(at) = &delivered_at {
        text.push_str(&format!("\ndelivered: {at}"));
    }
    if !o.email.is_empty() {
        text.push_str(&format!("\nemail: {}", o.email));
    }
    if !o.tag.is_empty() {
        text.push_str(&format!("\ntag: {}", o.tag));
    }
    text.push_str(&format!("\ncodes: {}", masked.len()));
    for (code, pin, validity) in &masked {
        text.push_str(&format!("\n  {code}"));
        if let Some(pin) = pin {
            text.push_str(&format!(" pin {pin}"));
        }
        if let Some(validity) = validity {
            text.push_str(&format!(" valid until {validity}"));
        }
    }
    let codes: Vec<_> = masked
        .iter()
        .map(|(code, pin, validity)| json!({ "code": code, "pin": pin, "validity": validity }))
        .collect();
    Ok(Output::new(
        json!({
            "order_id": o.id,
            "company_id": o.company_id,
            "po_number": o.po_number,
            "product_id": o.product_id,
            "product_name": o.product_name,
            "quantity": o.quantity,
            "denomination": value.to_json(),
            "currency": o.currency_code,
            "order_total": total.to_json(),
            "discount": discount.to_json(),
            "discount_percent": o.discount_percent,
            "amount_charged": charged.to_json(),
            "base_currency": o.base_currency,
            "order_status": o.order_status.as_str(),
            "delivery_status": o.delivery_status.as_str(),
            "email": o.email,
            "contact": o.contact,
            "tag": o.tag,
            "created_at": created_at,
            "delivered_at": delivered_at,
            "codes": codes,
        }),
        text,
    ))
}

/// A code with every character but the last [`VISIBLE`] replaced by `*`;
/// a short code shows at most half of its characters.
fn mask(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let visible = VISIBLE.min(chars.len() / 2);
    let hidden = chars.len() - visible;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn codes_show_at_most_their_last_four_characters() {
        assert_eq!(mask("CCD-500-0001"), "********0001");
        assert_eq!(mask("ABCDEFGH"), "****EFGH");
        assert_eq!(mask("ABCDEF"), "***DEF");
        assert_eq!(mask("AB"), "*B");
        assert_eq!(mask("A"), "*");
        assert_eq!(mask(""), "");
    }
}
