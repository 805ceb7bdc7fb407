//! What several portal pages share: a date range from a filter form, CSV
//! downloads, and chart geometry (server-rendered SVG, tooltips as SVG
//! `<title>`s, no JavaScript).
//!
//! May touch: `clock`, `state`. Renders nothing itself.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use minijinja::{context, Value};

use crate::clock;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// A range of whole UTC days `[from, to)` chosen in a filter form (dates
/// `YYYY-MM-DD`, both included), defaulting to the last `default_days`.
#[derive(Debug)]
pub struct Period {
    /// Start (ms, inclusive).
    pub from: i64,
    /// End (ms, exclusive): the midnight after the last day.
    pub to: i64,
}

impl Period {
    /// Reads the form's `from` and `to`; says which is wrong when one is.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        now: i64,
        default_days: i64,
    ) -> Result<Self, String> {
        let today = now.div_euclid(DAY_MS) * DAY_MS;
        let day = |text: Option<&str>, field: &str| -> Result<Option<i64>, String> {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) => clock::parse_day(t)
                    .map(Some)
                    .ok_or_else(|| format!("“{field}” must be a date such as 2026-11-30")),
            }
        };
        let last = day(to, "to")?.unwrap_or(today);
        let first = day(from, "from")?.unwrap_or(last - (default_days - 1) * DAY_MS);
        if first > last {
            return Err("“from” must not be after “to”".into());
        }
        if last - first > 3660 * DAY_MS {
            return Err("choose at most ten years".into());
        }
        Ok(Period {
            from: first,
            to: last + DAY_MS,
        })
    }

    /// The first day, `YYYY-MM-DD`.
    pub fn from_text(&self) -> String {
        clock::day(self.from)
    }

    /// The last day, `YYYY-MM-DD`.
    pub fn to_text(&self) -> String {
        clock::day(self.to - DAY_MS)
    }

    /// The days of the range, as epoch day indexes.
    pub fn days(&self) -> impl Iterator<Item = i64> {
        self.from / DAY_MS..self.to / DAY_MS
    }
}

/// A CSV download named `filename`.
pub fn csv_response(filename: &str, body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A CSV cell of text that users or clients wrote (e-mail addresses, PO
/// numbers, names): one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`, so that a spreadsheet shows it as
/// text instead of running it as a formula.
pub fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Width and height of a chart's plot area, in SVG units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;

/// A line chart of `(label, value)` points: the polyline's points, one
/// marker per point with its tooltip, and the axis labels.
pub fn line_chart(points: &[(String, f64)], unit: &str) -> Value {
    let (low, high) = bounds(points.iter().map(|(_, v)| *v));
    let step = if points.len() > 1 {
        WIDTH / (points.len() - 1) as f64
    } else {
        0.0
    };
    let y = |v: f64| HEIGHT - (v - low) / (high - low) * HEIGHT;
    let markers: Vec<Value> = points
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            context! { x => round(i as f64 * step), y => round(y(*v)), tip => format!("{label}: {} {unit}", trim(*v)) }
        })
        .collect();
    let polyline = markers
        .iter()
        .map(|m| {
            format!(
                "{},{}",
                m.get_attr("x").unwrap_or_default(),
                m.get_attr("y").unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    context! {
        width => WIDTH, height => HEIGHT, polyline, markers,
        top => trim(high), bottom => trim(low),
        first => points.first().map(|p| p.0.clone()), last => points.last().map(|p| p.0.clone()),
    }
}

/// A bar chart of two series per label (`a` and `b` side by side).
pub fn pair_bar_chart(rows: &[(String, f64, f64)], a: &str, b: &str) -> Value {
    let (_, high) = bounds(rows.iter().flat_map(|(_, x, y)| [*x, *y]).chain([0.0]));
    let slot = WIDTH / rows.len().max(1) as f64;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let h = |v: f64| v / high * HEIGHT;
    let bars: Vec<Value> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, (label, x, y))| {
            let left = i as f64 * slot;
            [
                context! { x => round(left), y => round(HEIGHT - h(*x)), w => round(bar), h => round(h(*x)), series => "a", tip => format!("{label}: {} {a}", trim(*x)) },
                context! { x => round(left + bar + 1.0), y => round(HEIGHT - h(*y)), w => round(bar), h => round(h(*y)), series => "b", tip => format!("{label}: {} {b}", trim(*y)) },
            ]
        })
        .collect();
    context! {
        width => WIDTH, height => HEIGHT, bars, top => trim(high), a, b,
        first => rows.first().map(|r| r.0.clone()), last => rows.last().map(|r| r.0.clone()),
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    if (high - low).abs() < f64::EPSILON {
        return (low - 1.0, high + 1.0);
    }
    (low, high)
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn trim(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_341_600_000; // 2026-11-22T10:00:00Z

    #[test]
    fn periods_are_whole_days_and_say_what_is_wrong() {
        let p = Period::parse(None, None, NOW, 30).unwrap();
        assert_eq!(
            (p.from_text(), p.to_text()),
            ("2026-10-24".into(), "2026-11-22".into())
        );
        assert_eq!(p.days().count(), 30);
        let p = Period::parse(Some("2026-11-01"), Some("2026-11-01"), NOW, 30).unwrap();
        assert_eq!(p.to - p.from, DAY_MS);
        assert!(Period::parse(Some("yesterday"), None, NOW, 30)
            .unwrap_err()
            .contains("from"));
        assert!(
            Period::parse(Some("2026-11-05"), Some("2026-11-01"), NOW, 30)
                .unwrap_err()
                .contains("after")
        );
    }

    #[test]
    fn formula_cells_are_defused() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        assert_eq!(csv_cell("ann@x.com"), "ann@x.com");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn charts_scale_into_their_box() {
        let chart = line_chart(&[("a".into(), 10.0), ("b".into(), 30.0)], "INR");
        assert_eq!(
            chart.get_attr("polyline").unwrap().to_string(),
            "0.0,200.0 640.0,0.0"
        );
        let bars = pair_bar_chart(&[("d".into(), 2.0, 1.0)], "orders", "redemptions");
        let first = bars.get_attr("bars").unwrap().get_item_by_index(0).unwrap();
        assert_eq!(first.get_attr("h").unwrap().to_string(), "200.0");
    }
}
