//! Limits on guessing passwords and on mass sign-ups, counted in the
//! database so that every node shares them.
//!
//! An attempt is *reserved* before any work: one statement adds the hit and
//! returns the new count, and the attempt goes on only if that count is
//! within the limit. Parallel requests therefore cannot all slip under a
//! limit that they would each have read as not yet reached. A log-in that
//! succeeds gives its hits back, so only failures count.
//!
//! - Per (account, client address): 10 failures per 15 minutes, then 429.
//! - Per client address: 50 failed log-ins per 15 minutes, and apart from
//!   those 50 sign-ups.
//! - Per e-mail address: 3 sign-up e-mails (confirmation links, or notes
//!   that the address has an account) per 15 minutes.
//! - Per account, from any address: no lock-out (anyone could cause one),
//!   but after 10 failures each further attempt waits longer before its
//!   password is checked: 250 ms, doubling, at most 8 s.
//!
//! May touch: `store::rate_limits`.

use std::{net::IpAddr, time::Duration};

use crate::store::{rate_limits, Db, StoreResult};

/// Length of a counting window.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed log-ins per account and client address per window.
pub const PER_ACCOUNT_AND_ADDRESS: i64 = 10;
/// Failed log-ins, and separately sign-ups, per client address per window.
pub const PER_ADDRESS: i64 = 50;
/// Failures per account per window before attempts slow down.
pub const ACCOUNT_FREE_FAILURES: i64 = 10;
/// The longest wait before a password is checked.
const MAX_DELAY: Duration = Duration::from_secs(8);

/// A reserved attempt: its hits, given back if it succeeds.
#[derive(Debug)]
pub struct Reservation {
    buckets: Vec<String>,
    window_start: i64,
}

/// What a reservation allows.
#[derive(Debug)]
pub enum Verdict {
    /// Over a strict limit: refuse without checking anything.
    Refused,
    /// Go on, after waiting `delay`.
    Go {
        /// How long to wait before checking the password.
        delay: Duration,
        /// The hits to give back on success.
        reservation: Reservation,
    },
}

/// A key as the counters can store it: PostgreSQL text holds no NUL, and
/// no account's name has one, so it stands for itself as U+FFFD.
fn storable(key: &str) -> String {
    key.replace('\0', "\u{fffd}")
}

fn window_start(now: i64) -> i64 {
    now.div_euclid(WINDOW_MS) * WINDOW_MS
}

/// Reserves a log-in attempt for `account` (a key naming the account,
/// such as `company:7:asha@shop.test`) from `address`.
pub async fn reserve_log_in(
    db: &Db,
    now: i64,
    account: &str,
    address: IpAddr,
) -> StoreResult<Verdict> {
    let window_start = window_start(now);
    let account = storable(account);
    let pair = format!("login:pair:{account}:{address}");
    let by_address = format!("login:address:{address}");
    let by_account = format!("login:account:{account}");
    if rate_limits::hit(db, &pair, window_start).await? > PER_ACCOUNT_AND_ADDRESS {
        return Ok(Verdict::Refused);
    }
    if rate_limits::hit(db, &by_address, window_start).await? > PER_ADDRESS {
        return Ok(Verdict::Refused);
    }
    let failures = rate_limits::hit(db, &by_account, window_start).await? - 1;
    Ok(Verdict::Go {
        delay: delay_after(failures),
        reservation: Reservation {
            buckets: vec![pair, by_address, by_account],
            window_start,
        },
    })
}

/// Reserves a sign-up from `address`; false when over the limit.
pub async fn reserve_sign_up(db: &Db, now: i64, address: IpAddr) -> StoreResult<bool> {
    let bucket = format!("signup:address:{address}");
    Ok(rate_limits::hit(db, &bucket, window_start(now)).await? <= PER_ADDRESS)
}

/// E-mails about sign-ups sent to one address per window.
pub const EMAILS_PER_ADDRESS: i64 = 3;

/// Reserves a sign-up e-mail to the address `key` names; false when that
/// address has had its share this window (so sign-ups cannot flood it).
pub async fn reserve_sign_up_email(db: &Db, now: i64, key: &str) -> StoreResult<bool> {
    let bucket = format!("signup:email:{}", storable(key));
    Ok(rate_limits::hit(db, &bucket, window_start(now)).await? <= EMAILS_PER_ADDRESS)
}

/// How a guarded log-in ended.
#[derive(Debug)]
pub enum LogIn<T> {
    /// Over a strict limit: nothing was checked.
    Limited,
    /// The credentials were wrong (the failure counts).
    Wrong,
    /// The credentials were right (the hits are given back).
    Right(T),
}

/// A log-in for `account` from `address`, limited as this module says:
/// reserves the attempt, waits the account's delay, then runs `check`
/// (which returns the account when the password is right); a success gives
/// its hits back. `check` does not start before the reservation passes.
pub async fn guarded_log_in<T>(
    db: &Db,
    now: i64,
    account: &str,
    address: IpAddr,
    check: impl std::future::Future<Output = super::Result<Option<T>>>,
) -> super::Result<LogIn<T>> {
    let reservation = match reserve_log_in(db, now, account, address).await? {
        Verdict::Refused => return Ok(LogIn::Limited),
        Verdict::Go { delay, reservation } => {
            tokio::time::sleep(delay).await;
            reservation
        }
    };
    match check.await? {
        Some(found) => {
            succeeded(db, reservation).await?;
            Ok(LogIn::Right(found))
        }
        None => Ok(LogIn::Wrong),
    }
}

/// Gives a successful log-in's hits back.
pub async fn succeeded(db: &Db, reservation: Reservation) -> StoreResult<()> {
    for bucket in &reservation.buckets {
        rate_limits::release(db, bucket, reservation.window_start).await?;
    }
    Ok(())
}

/// The wait before checking a password after `failures` failures of the
/// account in this window.
fn delay_after(failures: i64) -> Duration {
    if failures < ACCOUNT_FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(failures - ACCOUNT_FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(16);
    (Duration::from_millis(250) * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stop_at_the_cap() {
        assert_eq!(delay_after(0), Duration::ZERO);
        assert_eq!(delay_after(9), Duration::ZERO);
        assert_eq!(delay_after(10), Duration::from_millis(250));
        assert_eq!(delay_after(11), Duration::from_millis(500));
        assert_eq!(delay_after(15), MAX_DELAY);
        assert_eq!(delay_after(i64::MAX), MAX_DELAY);
    }
}
