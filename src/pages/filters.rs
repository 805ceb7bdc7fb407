//! Template filters: how pages and e-mails show values. Registered on every
//! [`super::Templates`] environment.
//!
//! - `amount(currency)`: minor units as a decimal, `{{ 50000 | amount("INR") }}` → `500.00`.
//! - `last_day`: an end-of-validity instant (epoch ms, exclusive) as the
//!   last day it is valid, `22 Nov 2026` (UTC).
//! - `strip_tags`: catalog HTML as plain text (tags dropped, whitespace
//!   collapsed); the result is still escaped like any other value.
//!
//! May touch: `domain::money` (`amount_text`). Names no `api`, `oauth` or
//! `web` type.

use minijinja::Environment;

/// Registers every filter on `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("amount", |minor: i64, currency: String| {
        crate::domain::money::amount_text(minor, &currency)
    });
    env.add_filter("last_day", last_day);
    env.add_filter("datetime", |ms: i64| {
        format!("{} UTC", crate::clock::date_time(ms))
    });
    env.add_filter("day", crate::clock::day);
    env.add_filter("strip_tags", |html: String| strip_tags(&html));
}

/// The last day (UTC) on which something that ends at `ends_at_ms`
/// (exclusive) is valid, e.g. `22 Nov 2026`.
pub fn last_day(ends_at_ms: i64) -> String {
    let format = time::macros::format_description!("[day] [month repr:short] [year]");
    time::OffsetDateTime::from_unix_timestamp((ends_at_ms - 1).div_euclid(1000))
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// Catalog HTML (descriptions, instructions) as plain text.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_day_is_the_day_before_an_exclusive_midnight() {
        assert_eq!(last_day(1_795_392_000_000), "22 Nov 2026");
    }

    #[test]
    fn tags_are_stripped() {
        assert_eq!(
            strip_tags("<p>Show the <b>code</b> at the counter.</p>"),
            "Show the code at the counter."
        );
    }

    #[test]
    fn filters_render() {
        let mut env = Environment::new();
        register(&mut env);
        let out = env
            .render_str(
                "{{ 50000 | amount('INR') }} {{ 5 | amount('JPY') }} {{ '<i>x</i>' | strip_tags }}",
                (),
            )
            .unwrap();
        assert_eq!(out, "500.00 5 x");
    }
}
