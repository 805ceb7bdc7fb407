//! Money as integer minor units of an ISO 4217 currency, and exact
//! decimals for rates, percentages and catalog bounds; never floats. Pure
//! values: touches no storage and no I/O.
//!
//! May touch: `domain::scopes` (`truncate`) only.

use std::{cmp::Ordering, fmt};

/// An ISO 4217 currency code such as `INR`, with its minor unit (looked up
/// once, when parsed).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

impl Currency {
    /// Accepts an ISO 4217 code (any case) of a currency with minor units,
    /// stored upper-case.
    pub fn parse(code: &str) -> Result<Self, String> {
        let bytes = code.trim().as_bytes();
        let shown = super::scopes::truncate(code, 16);
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(format!("`{shown}` is not a three-letter currency code"));
        }
        let code = [
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ];
        let exponent = std::str::from_utf8(&code)
            .ok()
            .and_then(iso_currency::Currency::from_code)
            .and_then(|c| c.exponent())
            .and_then(|e| u8::try_from(e).ok());
        match exponent {
            Some(exponent) => Ok(Currency { code, exponent }),
            None => Err(format!(
                "`{shown}` is not an ISO 4217 currency code of money (such as INR, USD or EUR)"
            )),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // `parse` admits ASCII letters only, so the fallback is never taken.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217 minor unit).
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

/// An amount in minor units of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    /// Minor units (cents, paise...).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

/// Largest amount accepted from input, in major units (a sanity bound well
/// inside `i64` minor units).
const MAX_MAJOR: i64 = 1_000_000_000_000;

impl Money {
    /// Parses a decimal such as `1000`, `1000.5` or `1000.50` exactly.
    /// Rejects negatives, exponents, more decimals than the currency has and
    /// amounts above one trillion.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, String> {
        let amount = amount.trim();
        let bad = || {
            format!(
                "`{}` is not an amount such as 100 or 100.50",
                super::scopes::truncate(amount, 32)
            )
        };
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if amount.ends_with('.') {
            return Err(bad());
        }
        let exp = currency.exponent();
        if frac.len() > exp as usize {
            return Err(format!("{currency} amounts have at most {exp} decimals"));
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        if whole > MAX_MAJOR {
            return Err(format!("amount is above the limit of {MAX_MAJOR}"));
        }
        let mut frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        frac_minor *= 10i64.pow(exp - frac.len() as u32);
        Ok(Money {
            minor: whole * 10i64.pow(exp) + frac_minor,
            currency,
        })
    }

    /// The amount in major units as a JSON number written from its exact
    /// decimal text: `1000.5`, `7`.
    pub fn to_json(&self) -> serde_json::Value {
        let exp = self.currency.exponent();
        let abs = self.minor.unsigned_abs();
        let div = 10u64.pow(exp);
        let mut text = if exp == 0 {
            abs.to_string()
        } else {
            let frac = format!("{:0width$}", abs % div, width = exp as usize);
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                (abs / div).to_string()
            } else {
                format!("{}.{frac}", abs / div)
            }
        };
        if self.minor < 0 {
            text.insert(0, '-');
        }
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }
}

impl Money {
    /// `minor` units of `currency`, capped to the range of `i64`.
    fn saturating(minor: i128, currency: Currency) -> Money {
        Money {
            minor: i64::try_from(minor).unwrap_or(if minor < 0 { i64::MIN } else { i64::MAX }),
            currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exp == 0 {
            write!(f, "{sign}{abs} {}", self.currency)
        } else {
            let div = 10u64.pow(exp);
            write!(
                f,
                "{sign}{}.{:0width$} {}",
                abs / div,
                abs % div,
                self.currency,
                width = exp as usize
            )
        }
    }
}

/// `minor` units of `currency` as a decimal without the code ("500.00"),
/// as the wire format, pages and e-mails show amounts; an unknown currency
/// shows the bare number.
pub fn amount_text(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(currency) => {
            let text = Money { minor, currency }.to_string();
            match text.rsplit_once(' ') {
                Some((amount, _)) => amount.to_string(),
                None => text,
            }
        }
        Err(_) => minor.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inr() -> Currency {
        Currency::parse("inr").unwrap()
    }

    #[test]
    fn parses_exact_minor_units() {
        assert_eq!(Money::parse("1000", inr()).unwrap().minor, 100_000);
        assert_eq!(Money::parse("1000.5", inr()).unwrap().minor, 100_050);
        assert_eq!(Money::parse("0.07", inr()).unwrap().minor, 7);
        assert_eq!(
            Money::parse("12", Currency::parse("JPY").unwrap())
                .unwrap()
                .minor,
            12
        );
        assert_eq!(
            Money::parse("1.234", Currency::parse("KWD").unwrap())
                .unwrap()
                .minor,
            1234
        );
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        for bad in [
            "",
            "-5",
            "1e3",
            "1.",
            ".5",
            "1.234",
            "abc",
            "1,000",
            "99999999999999999999",
            "NaN",
        ] {
            assert!(Money::parse(bad, inr()).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_numbers_from_exact_text() {
        assert_eq!(Money::parse("7", inr()).unwrap().to_json().to_string(), "7");
        assert_eq!(
            Money::parse("1000.50", inr())
                .unwrap()
                .to_json()
                .to_string(),
            "1000.5"
        );
        assert_eq!(
            Money {
                minor: -5,
                currency: inr()
            }
            .to_json()
            .to_string(),
            "-0.05"
        );
    }

    #[test]
    fn displays_with_currency_decimals() {
        assert_eq!(
            Money::parse("10.5", inr()).unwrap().to_string(),
            "10.50 INR"
        );
        assert_eq!(
            Money {
                minor: -5,
                currency: inr()
            }
            .to_string(),
            "-0.05 INR"
        );
    }

    #[test]
    fn currency_codes() {
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
        assert_eq!(Currency::parse(" usd ").unwrap().as_str(), "USD");
        assert!(Currency::parse("XXQ").is_err(), "not ISO 4217");
        assert!(Currency::parse("XAU").is_err(), "gold has no minor unit");
        assert_eq!(Currency::parse("VND").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
    }
}

/// A non-negative decimal kept exactly (no floats): `mantissa / 10^scale`.
/// Used for exchange rates and catalog values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal::whole(0);
    /// One (the rate between a currency and itself).
    pub const ONE: Decimal = Decimal::whole(1);

    /// A whole number of units.
    pub const fn whole(units: u64) -> Decimal {
        Decimal {
            mantissa: units as i128,
            scale: 0,
        }
    }

    /// Parses `12`, `0.0125`; at most 12 decimals and 18 integer digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = || {
            format!(
                "`{}` is not a decimal number such as 12 or 0.0125",
                super::scopes::truncate(text, 32)
            )
        };
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || whole.len() > 18 || frac.len() > 12 || text.ends_with('.') {
            return Err(bad());
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let mantissa: i128 = format!("{whole}{frac}").parse().map_err(|_| bad())?;
        Ok(Self {
            mantissa,
            scale: frac.len() as u32,
        })
    }

    /// The mantissa and scale: the value is `mantissa / 10^scale`.
    pub fn parts(&self) -> (i128, u32) {
        (self.mantissa, self.scale)
    }

    /// Compares with a whole number, exactly.
    pub fn cmp_whole(&self, units: u32) -> Ordering {
        let scaled = i128::from(units) * 10i128.pow(self.scale);
        self.mantissa.cmp(&scaled)
    }

    /// True when zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Compares this many major units of `amount`'s currency with `amount`,
    /// exactly: `1.005` is above `1.00 USD` and below `1.01 USD`.
    pub fn cmp_amount(&self, amount: Money) -> Ordering {
        // Both sides stay far inside i128: a parsed mantissa has at most 30
        // digits and a currency at most 3 decimals; `minor` fits i64 and a
        // scale is at most 14.
        let this = self.mantissa * 10i128.pow(amount.currency.exponent());
        let that = amount.minor as i128 * 10i128.pow(self.scale);
        this.cmp(&that)
    }

    /// This many major units of `currency`, rounded down to a whole minor
    /// unit (at most `i64::MAX` minor units).
    pub fn floor_money(&self, currency: Currency) -> Money {
        let (minor, rest) = self.minor_units(currency);
        Money::saturating(minor - i128::from(rest < 0), currency)
    }

    /// This many major units of `currency`, rounded up to a whole minor unit
    /// (at most `i64::MAX` minor units).
    pub fn ceil_money(&self, currency: Currency) -> Money {
        let (minor, rest) = self.minor_units(currency);
        Money::saturating(minor + i128::from(rest > 0), currency)
    }

    /// Whole minor units of `currency` (truncated) and the sign of the rest.
    fn minor_units(&self, currency: Currency) -> (i128, i128) {
        let numerator = self.mantissa * 10i128.pow(currency.exponent());
        let denominator = 10i128.pow(self.scale);
        (numerator / denominator, (numerator % denominator).signum())
    }

    /// The canonical text (no trailing zeros after the point).
    pub fn to_text(&self) -> String {
        let div = 10i128.pow(self.scale);
        let (whole, frac) = (self.mantissa / div, self.mantissa % div);
        if frac == 0 {
            whole.to_string()
        } else {
            let frac = format!("{:0width$}", frac, width = self.scale as usize);
            format!("{whole}.{}", frac.trim_end_matches('0'))
        }
    }

    /// As a JSON number (for wire fields that are numbers).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.to_text()).unwrap_or(serde_json::Value::Null)
    }

    /// `self` percent of `amount`, rounded half up once; `None` if it does
    /// not fit in `i64` minor units.
    pub fn percent_of(&self, amount: Money) -> Option<Money> {
        let numerator = i128::from(amount.minor).checked_mul(self.mantissa)?;
        let denominator = 10i128.checked_pow(self.scale + 2)?;
        let minor =
            numerator.checked_mul(2)?.checked_add(denominator)? / denominator.checked_mul(2)?;
        Some(Money {
            minor: i64::try_from(minor).ok()?,
            currency: amount.currency,
        })
    }

    /// What a company is charged for `amount` less `discount` percent, at
    /// this rate (units of `to` per unit of `amount`'s currency): computed
    /// exactly, then rounded **up** to a whole minor unit of `to`, so that a
    /// charge of anything above zero is never zero. `None` when a step
    /// does not fit (an overflow is a refusal, never a wrap), or when
    /// `amount` is negative or `discount` is not below 100.
    pub fn charge(&self, amount: Money, discount: Decimal, to: Currency) -> Option<Money> {
        let hundred = 100i128.checked_mul(10i128.checked_pow(discount.scale)?)?;
        if amount.minor < 0 || discount.mantissa >= hundred {
            return None;
        }
        let numerator = i128::from(amount.minor)
            .checked_mul(hundred - discount.mantissa)?
            .checked_mul(self.mantissa)?
            .checked_mul(10i128.checked_pow(to.exponent())?)?;
        let denominator = hundred
            .checked_mul(10i128.checked_pow(self.scale)?)?
            .checked_mul(10i128.checked_pow(amount.currency.exponent())?)?;
        let minor = numerator / denominator + i128::from(numerator % denominator != 0);
        Some(Money {
            minor: i64::try_from(minor).ok()?,
            currency: to,
        })
    }
}

#[cfg(test)]
mod decimal_tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(Decimal::parse("83.125000").unwrap().to_text(), "83.125");
        assert_eq!(Decimal::parse("10").unwrap().to_text(), "10");
        assert_eq!(
            Decimal::parse("0.5").unwrap().to_json(),
            serde_json::json!(0.5)
        );
        for bad in ["", "-1", "1e5", "1.", ".1", "abc", "1.0000000000001"] {
            assert!(Decimal::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn charges_round_up_and_never_wrap() {
        let usd = Currency::parse("USD").unwrap();
        let inr = Currency::parse("INR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let vnd = Currency::parse("VND").unwrap();
        let rate = |r: &str| Decimal::parse(r).unwrap();
        let ten_dollars = Money::parse("10", usd).unwrap();
        let none = Decimal::ZERO;
        assert_eq!(
            rate("83.12").charge(ten_dollars, none, inr).unwrap().minor,
            83_120
        );
        // 0.05 × 0.333 = 0.01665: up to 0.02.
        let five_cents = Money::parse("0.05", usd).unwrap();
        assert_eq!(
            rate("0.333").charge(five_cents, none, usd).unwrap().minor,
            2
        );
        // 1.01 × 151.5 = 153.015 yen: up to 154.
        let one_01 = Money::parse("1.01", usd).unwrap();
        assert_eq!(rate("151.5").charge(one_01, none, jpy).unwrap().minor, 154);
        assert_eq!(
            Decimal::ONE.charge(ten_dollars, none, usd),
            Some(ten_dollars)
        );
        // 1 VND at 0.0033 INR is 0.0033 INR: charged 0.01, never 0.00.
        let one_dong = Money::parse("1", vnd).unwrap();
        assert_eq!(rate("0.0033").charge(one_dong, none, inr).unwrap().minor, 1);
        // The discount is taken off before the one rounding.
        let thousand = Money::parse("1000", inr).unwrap();
        assert_eq!(
            Decimal::ONE
                .charge(thousand, rate("2.5"), inr)
                .unwrap()
                .minor,
            97_500
        );
        assert_eq!(
            Decimal::ONE
                .charge(thousand, rate("99.9999"), inr)
                .unwrap()
                .minor,
            1
        );
        // No discount of 100 % or more, no negative amounts, no wrap.
        assert_eq!(Decimal::ONE.charge(thousand, rate("100"), inr), None);
        assert_eq!(Decimal::ONE.charge(thousand, rate("150"), inr), None);
        let negative = Money {
            minor: -50_000,
            currency: inr,
        };
        assert_eq!(Decimal::ONE.charge(negative, none, inr), None);
        let huge = Money {
            minor: i64::MAX,
            currency: usd,
        };
        assert_eq!(rate("83.12").charge(huge, none, inr), None);
        assert_eq!(
            rate("999999999999999999").charge(ten_dollars, none, inr),
            None
        );
    }

    #[test]
    fn compares_with_amounts_exactly() {
        let usd = Currency::parse("USD").unwrap();
        let dollar = Money::parse("1.00", usd).unwrap();
        assert_eq!(
            Decimal::parse("1").unwrap().cmp_amount(dollar),
            Ordering::Equal
        );
        assert_eq!(
            Decimal::parse("1.000").unwrap().cmp_amount(dollar),
            Ordering::Equal
        );
        assert_eq!(
            Decimal::parse("1.005").unwrap().cmp_amount(dollar),
            Ordering::Greater
        );
        assert_eq!(
            Decimal::parse("1.005")
                .unwrap()
                .cmp_amount(Money::parse("1.01", usd).unwrap()),
            Ordering::Less
        );
        assert_eq!(Decimal::ZERO.cmp_amount(dollar), Ordering::Less);
        assert_eq!(Decimal::ONE.to_text(), "1");
    }

    #[test]
    fn rounds_to_whole_minor_units() {
        let inr = Currency::parse("INR").unwrap();
        let d = Decimal::parse("10.555").unwrap();
        assert_eq!(d.floor_money(inr).minor, 1055);
        assert_eq!(d.ceil_money(inr).minor, 1056);
        let exact = Decimal::parse("10.5").unwrap();
        assert_eq!(exact.floor_money(inr).minor, 1050);
        assert_eq!(exact.ceil_money(inr).minor, 1050);
        let huge = Decimal::parse("999999999999999999").unwrap();
        assert_eq!(huge.ceil_money(inr).minor, i64::MAX);
    }

    #[test]
    fn percentages_round_once() {
        let inr = Currency::parse("INR").unwrap();
        let percent = |p: &str, minor: i64| {
            Decimal::parse(p)
                .unwrap()
                .percent_of(Money {
                    minor,
                    currency: inr,
                })
                .unwrap()
                .minor
        };
        assert_eq!(percent("2.5", 100_000), 2_500);
        // 0.5 % of 0.99 is 0.00495: rounding twice (0.495 -> 0.50 -> 0.01)
        // would give 1 paisa, once gives 0.
        assert_eq!(percent("0.5", 99), 0);
        assert_eq!(percent("1", 2_000), 20);
    }
}
