//! Money as integer minor units of an ISO 4217 currency; never floats.

use std::fmt;

/// An ISO 4217 currency code such as `INR`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Accepts three ASCII letters (any case), stored upper-case.
    pub fn parse(code: &str) -> Result<Self, String> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(format!("`{}` is not a three-letter currency code", super::scopes::truncate(code, 16)));
        }
        Ok(Currency([bytes[0].to_ascii_uppercase(), bytes[1].to_ascii_uppercase(), bytes[2].to_ascii_uppercase()]))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII")
    }

    /// Digits after the decimal point (ISO 4217 minor unit).
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI"
            | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
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
        let bad = || format!("`{}` is not an amount such as 100 or 100.50", super::scopes::truncate(amount, 32));
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
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
        let mut frac_minor: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        frac_minor *= 10i64.pow(exp - frac.len() as u32);
        Ok(Money { minor: whole * 10i64.pow(exp) + frac_minor, currency })
    }

    /// The amount as a JSON number in major units. Exact for display: the
    /// shortest decimal that round-trips, e.g. `1000.5`.
    pub fn major_f64(&self) -> f64 {
        self.minor as f64 / 10f64.powi(self.currency.exponent() as i32)
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
            write!(f, "{sign}{}.{:0width$} {}", abs / div, abs % div, self.currency, width = exp as usize)
        }
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
        assert_eq!(Money::parse("12", Currency::parse("JPY").unwrap()).unwrap().minor, 12);
        assert_eq!(Money::parse("1.234", Currency::parse("KWD").unwrap()).unwrap().minor, 1234);
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        for bad in ["", "-5", "1e3", "1.", ".5", "1.234", "abc", "1,000", "99999999999999999999", "NaN"] {
            assert!(Money::parse(bad, inr()).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_with_currency_decimals() {
        assert_eq!(Money::parse("10.5", inr()).unwrap().to_string(), "10.50 INR");
        assert_eq!(Money { minor: -5, currency: inr() }.to_string(), "-0.05 INR");
    }

    #[test]
    fn currency_codes() {
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
        assert_eq!(Currency::parse(" usd ").unwrap().as_str(), "USD");
    }
}
