//! JSON Schema pieces for the resource API's inputs, written to say exactly
//! what the tolerant reader in `api::fields` accepts: numbers as JSON
//! numbers or digit strings, blank strings and `null` as absent, flags in
//! their several spellings. Patterns end in `(?![\s\S])` (the true end of
//! the text) rather than `$`, which also matches before a final newline.
//!
//! May touch: nothing; plain `serde_json` values. `api::fields` reads
//! [`MAX_ID`] from here, so that the reader and its description agree.

use serde_json::{json, Value};

/// The largest id the API reads (18 digits).
pub const MAX_ID: i64 = 999_999_999_999_999_999;
/// Whitespace the reader trims around a number written as text.
const WS: &str = "[ \\t\\n]*";
/// The end of the text.
pub const END: &str = "(?![\\s\\S])";
/// Text without control characters (tab and newline allowed).
pub const NO_CONTROL: &str = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*(?![\\s\\S])";

/// A regular expression for the whole numbers `min..=max` written in
/// digits, for `min` 0 or 1 and `max` all nines or a power of ten.
fn digits(min: i64, max: i64) -> String {
    let text = max.to_string();
    let lead = if min == 0 { "[0-9]" } else { "[1-9]" };
    if text.bytes().all(|b| b == b'9') {
        let k = text.len();
        if min == 0 {
            format!("0*[0-9]{{1,{k}}}")
        } else {
            format!("0*{lead}[0-9]{{0,{}}}", k - 1)
        }
    } else {
        let k = text.len() - 1;
        if min == 0 {
            format!("0*([0-9]{{1,{k}}}|{text})")
        } else {
            format!("0*({lead}[0-9]{{0,{}}}|{text})", k - 1)
        }
    }
}

/// A whole number `min..=max`: a JSON number or its digits as text (blank
/// text and `null` are absent when the field is optional).
pub fn int(min: i64, max: i64, required: bool, description: &str) -> Value {
    let body = digits(min, max);
    let pattern = if required {
        format!("^{WS}({body}){WS}{END}")
    } else {
        format!("^{WS}({body})?{WS}{END}")
    };
    let mut one = vec![
        json!({ "type": "integer", "minimum": min, "maximum": max }),
        json!({ "type": "string", "pattern": pattern }),
    ];
    if !required {
        one.push(json!({ "type": "null" }));
    }
    json!({ "description": description, "oneOf": one })
}

/// Text of at most `max` characters without control characters; with
/// `numbers`, a JSON number is read as its text. Optional text may be
/// blank or `null` (absent).
pub fn text(max: usize, required: bool, numbers: bool, description: &str) -> Value {
    let mut string = json!({ "type": "string", "maxLength": max, "pattern": NO_CONTROL });
    if required {
        string["minLength"] = json!(1);
    }
    let mut one = vec![string];
    if numbers {
        one.push(json!({ "type": "number" }));
    }
    if !required {
        one.push(json!({ "type": "null" }));
    }
    json!({ "description": description, "oneOf": one })
}

/// A 0/1 flag: `0`, `1`, `true`, `false`, `"0"`, `"1"`, `"true"`,
/// `"false"`; blank or `null` is absent (false).
pub fn flag(description: &str) -> Value {
    json!({
        "description": description,
        "oneOf": [
            { "type": "integer", "enum": [0, 1] },
            { "type": "boolean" },
            { "type": "string", "enum": ["", "0", "1", "true", "false"] },
            { "type": "null" }
        ]
    })
}

/// A list of product ids: `"101,102"`, `101` or `[101, "102"]`; blank is
/// none.
pub fn ids(description: &str) -> Value {
    let id = "[0-9]{1,18}";
    let list = format!("^({WS}({id})?{WS})(,{WS}({id})?{WS})*{END}");
    json!({
        "description": description,
        "oneOf": [
            { "type": "string", "maxLength": 10000, "pattern": list },
            { "type": "integer", "minimum": 0, "maximum": MAX_ID },
            {
                "type": "array",
                "items": {
                    "oneOf": [
                        { "type": "integer", "minimum": 0, "maximum": MAX_ID },
                        { "type": "string", "pattern": format!("^{WS}{id}{WS}{END}") }
                    ]
                }
            },
            { "type": "null" }
        ]
    })
}

/// One of `values` (text), or blank / `null` for the default.
pub fn choice(values: &[&str], description: &str) -> Value {
    let mut all = vec![""];
    all.extend_from_slice(values);
    json!({
        "description": description,
        "oneOf": [{ "type": "string", "enum": all }, { "type": "null" }]
    })
}

/// A `YYYY-MM-DD` date.
pub fn date(description: &str) -> Value {
    json!({
        "description": description,
        "type": "string",
        "format": "date",
        "pattern": format!("^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{END}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_patterns_cover_exactly_the_range() {
        assert_eq!(digits(1, 10_000), "0*([1-9][0-9]{0,3}|10000)");
        assert_eq!(digits(0, MAX_ID), "0*[0-9]{1,18}");
        assert_eq!(digits(1, MAX_ID), "0*[1-9][0-9]{0,17}");
        assert_eq!(digits(0, 10_000_000), "0*([0-9]{1,7}|10000000)");
    }
}
