//! Reading an operation's `variables` with errors that name the field:
//! every problem is a `PLE10001` 400 saying which field and why.
//!
//! Tolerant of what published Plum clients send: numbers as JSON numbers
//! (`10`, `10.0`) or numeric strings (`"10"`), strings as strings or numbers
//! (`"includeProducts": 101`), flags as `0`/`1`, `"0"`/`"1"` or booleans,
//! and an empty (or blank) string where an optional field is not used,
//! which counts as absent. Unknown fields are refused.
//!
//! What it accepts is described, field by field, by the schemas of
//! `spec::schema` (the OpenAPI document); keep the two in step.
//!
//! May touch: `api::error`, `domain::scopes` (`truncate`), `spec::schema`
//! (`MAX_ID`). Never `web`.

use serde_json::{Map, Value};

use super::error::ApiError;
use crate::domain::scopes::truncate;
pub use crate::spec::schema::MAX_ID;

/// The fields of an operation's input object.
#[derive(Debug)]
pub struct Fields {
    map: Map<String, Value>,
    path: &'static str,
}

impl Fields {
    /// `variables.<key>` (`data` or `add_data`), which must be an object if
    /// present; only `allowed` names may appear in it.
    pub fn from_variables(
        variables: &Map<String, Value>,
        key: &'static str,
        allowed: &[&str],
    ) -> Result<Self, ApiError> {
        let map = match variables.get(key) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => {
                return Err(ApiError::validation(format!(
                    "variables.{key} must be an object."
                )))
            }
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::validation(format!(
                "variables.{key}.{} is not a field of this operation (allowed: {}).",
                truncate(unknown, 40),
                allowed.join(", ")
            )));
        }
        Ok(Self { map, path: key })
    }

    fn invalid(&self, name: &str, why: &str) -> ApiError {
        ApiError::validation(format!("variables.{}.{name} {why}", self.path))
    }

    /// The raw value, if present and not null.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A whole number within `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let value = match self.raw(name) {
            None => return Ok(None),
            Some(Value::Number(n)) => {
                whole(n).ok_or_else(|| self.invalid(name, "must be a whole number."))?
            }
            Some(Value::String(s)) => match digits(s) {
                Digits::Blank => return Ok(None),
                Digits::Number(n) => n,
                Digits::TooLarge => {
                    return Err(self.invalid(name, &format!("must be between {min} and {max}.")))
                }
                Digits::Other => return Err(self.invalid(name, "must be a whole number.")),
            },
            Some(_) => return Err(self.invalid(name, "must be a whole number.")),
        };
        if !(min..=max).contains(&value) {
            return Err(self.invalid(name, &format!("must be between {min} and {max}.")));
        }
        Ok(Some(value))
    }

    /// A page number from 1, where `0` (as published clients send it) is
    /// the first page too; absent is 1. There is no last page number: past
    /// the last page, an operation answers as it does for an empty result.
    pub fn page(&self, name: &str) -> Result<i64, ApiError> {
        Ok(self.int(name, 0, MAX_ID)?.unwrap_or(1).max(1))
    }

    /// A string of at most `max` characters (numbers are accepted as text);
    /// an empty string is absent.
    pub fn string(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let value = match self.raw(name) {
            None => return Ok(None),
            Some(Value::String(s)) if s.is_empty() => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(self.invalid(name, "must be a string.")),
        };
        if value.chars().count() > max {
            return Err(self.invalid(name, &format!("must have at most {max} characters.")));
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(self.invalid(name, "must not contain control characters."));
        }
        Ok(Some(value))
    }

    /// Like [`Fields::string`], but a JSON number is refused (e-mail
    /// addresses, phone numbers).
    pub fn text(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        if let Some(Value::Number(_)) = self.raw(name) {
            return Err(self.invalid(name, "must be a string."));
        }
        self.string(name, max)
    }

    /// A 0/1 flag (also `true`/`false`, `"0"`/`"1"`, `"true"`/`"false"`);
    /// absent or empty is false.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.optional_flag(name)?.unwrap_or(false))
    }

    /// A 0/1 flag that may be absent (`None`).
    pub fn optional_flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if whole(n) == Some(0) => Ok(Some(false)),
            Some(Value::Number(n)) if whole(n) == Some(1) => Ok(Some(true)),
            Some(Value::String(s)) => match s.as_str() {
                "" => Ok(None),
                "0" | "false" => Ok(Some(false)),
                "1" | "true" => Ok(Some(true)),
                _ => Err(self.invalid(name, "must be 0 or 1.")),
            },
            Some(_) => Err(self.invalid(name, "must be 0 or 1.")),
        }
    }

    /// The error for a required field that is absent.
    pub fn missing(&self, name: &str) -> ApiError {
        self.invalid(name, "is required.")
    }

    /// A list of product ids: comma-separated text (`"1,2"`), one number
    /// (`101`) or an array of ids; blank is none.
    pub fn id_list(&self, name: &str) -> Result<Vec<i64>, ApiError> {
        let bad = || self.invalid(name, "must be comma-separated product ids.");
        let id = |n: Option<i64>| n.filter(|n| (0..=MAX_ID).contains(n)).ok_or_else(bad);
        let text_id = |s: &str| match digits(s) {
            Digits::Number(n) if s.trim_matches(WS).len() <= 18 => Ok(n),
            _ => Err(bad()),
        };
        match self.raw(name) {
            Some(Value::Array(items)) => {
                return items
                    .iter()
                    .map(|item| match item {
                        Value::Number(n) => id(whole(n)),
                        Value::String(s) => text_id(s),
                        _ => Err(bad()),
                    })
                    .collect()
            }
            Some(Value::Number(n)) => return Ok(vec![id(whole(n))?]),
            _ => {}
        }
        let Some(text) = self.string(name, 10_000)? else {
            return Ok(Vec::new());
        };
        text.split(',')
            .filter(|p| !p.trim_matches(WS).is_empty())
            .map(text_id)
            .collect()
    }
}

/// Whitespace read around a number written as text.
const WS: &[char] = &[' ', '\t', '\n'];

/// A number written as text.
enum Digits {
    /// Empty, or whitespace only: absent.
    Blank,
    /// Digits (with whitespace around them).
    Number(i64),
    /// Digits, more than an `i64` holds.
    TooLarge,
    /// Anything else.
    Other,
}

fn digits(text: &str) -> Digits {
    let t = text.trim_matches(WS);
    if t.is_empty() {
        Digits::Blank
    } else if !t.bytes().all(|b| b.is_ascii_digit()) {
        Digits::Other
    } else {
        t.parse().map_or(Digits::TooLarge, Digits::Number)
    }
}

/// A JSON number that is a whole number (`10` or `10.0`).
fn whole(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    // Within ±2^53 a float holds whole numbers exactly.
    (f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(data: Value) -> Result<Fields, ApiError> {
        let variables = json!({ "data": data });
        Fields::from_variables(
            variables.as_object().unwrap(),
            "data",
            &["limit", "name", "flag", "ids"],
        )
    }

    #[test]
    fn numbers_as_numbers_or_strings() {
        let f = fields(json!({"limit": "5", "name": 12})).unwrap();
        assert_eq!(f.int("limit", 1, 10).unwrap(), Some(5));
        assert_eq!(f.string("name", 5).unwrap().as_deref(), Some("12"));
        assert!(fields(json!({"limit": 99999999999999999999u128 as f64}))
            .unwrap()
            .int("limit", 1, 10)
            .is_err());
        assert!(fields(json!({"limit": 0}))
            .unwrap()
            .int("limit", 1, 10)
            .is_err());
        assert!(fields(json!({"limit": [1]}))
            .unwrap()
            .int("limit", 1, 10)
            .is_err());
        assert_eq!(
            fields(json!({"limit": 7.0}))
                .unwrap()
                .int("limit", 1, 10)
                .unwrap(),
            Some(7)
        );
        assert!(fields(json!({"limit": 7.5}))
            .unwrap()
            .int("limit", 1, 10)
            .is_err());
    }

    #[test]
    fn blank_strings_are_absent() {
        let f = fields(json!({"limit": " ", "name": "", "flag": "", "ids": ""})).unwrap();
        assert_eq!(f.int("limit", 1, 10).unwrap(), None);
        assert_eq!(f.string("name", 5).unwrap(), None);
        assert_eq!(f.optional_flag("flag").unwrap(), None);
        assert!(f.id_list("ids").unwrap().is_empty());
        let f = fields(json!({"ids": 101, "flag": "true"})).unwrap();
        assert_eq!(f.id_list("ids").unwrap(), vec![101]);
        assert!(f.flag("flag").unwrap());
        assert_eq!(
            fields(json!({"ids": [1, "2"]}))
                .unwrap()
                .id_list("ids")
                .unwrap(),
            vec![1, 2]
        );
    }

    #[test]
    fn unknown_fields_and_bad_flags_are_refused() {
        assert!(fields(json!({"nope": 1})).is_err());
        assert!(fields(json!("x")).is_err());
        assert!(fields(json!({"flag": 2})).unwrap().flag("flag").is_err());
        assert_eq!(
            fields(json!({"ids": "1, 2,3"}))
                .unwrap()
                .id_list("ids")
                .unwrap(),
            vec![1, 2, 3]
        );
        assert!(fields(json!({"ids": "1,x"}))
            .unwrap()
            .id_list("ids")
            .is_err());
    }
}
