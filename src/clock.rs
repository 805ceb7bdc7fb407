//! Time as the program sees it. Production uses [`SystemClock`]; tests use
//! [`ManualClock`] to move time forward instantly and exactly. Also the two
//! ways instants are written out ([`date_time`], [`iso_date`]).
//!
//! May touch: nothing else in the crate (a leaf).

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> Millis;
}

/// The shared clock handle kept in the application state.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("system clock is after 1970");
        now.as_millis() as Millis
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// Starts at the current system time.
    pub fn new() -> Self {
        Self(AtomicI64::new(SystemClock.now_ms()))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance_secs(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}
/// Epoch milliseconds as `YYYY-MM-DD hh:mm:ss` (UTC), the Rewards API's
/// date format.
pub fn date_time(ms: Millis) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// The UTC day of epoch milliseconds, `YYYY-MM-DD` (how voucher validity
/// is written).
pub fn day(ms: Millis) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// The start (UTC midnight, epoch milliseconds) of the day written
/// `YYYY-MM-DD`; `None` when it is not such a date.
pub fn parse_day(text: &str) -> Option<Millis> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// Epoch milliseconds as ISO 8601 with milliseconds, `2020-06-03T22:06:23.042Z`.
pub fn iso_date(ms: Millis) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn instants_are_written_in_utc() {
        assert_eq!(date_time(0), "1970-01-01 00:00:00");
        assert_eq!(day(1_700_000_000_123), "2023-11-14");
        assert_eq!(date_time(1_700_000_000_123), "2023-11-14 22:13:20");
        assert_eq!(iso_date(1_591_221_983_000), "2020-06-03T22:06:23.000Z");
        assert_eq!(iso_date(1_591_221_983_042), "2020-06-03T22:06:23.042Z");
        assert_eq!(parse_day("2023-11-14"), Some(1_699_920_000_000));
        assert_eq!(day(parse_day("2023-11-14").unwrap()), "2023-11-14");
        for bad in ["", "14-11-2023", "2023-02-30", "2023-11-14T00:00"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
