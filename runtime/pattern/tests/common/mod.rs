//! Shared helpers for the pattern tests (included with `mod common;`).
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

pub mod gen;

use patter_pattern::{Budget, Hap, Pat, Time, TimeSpan, Value};

pub fn t(n: i64, d: i64) -> Time {
    Time::new(n, d)
}

pub fn span(b: Time, e: Time) -> TimeSpan {
    TimeSpan::new(b, e)
}

pub fn query(p: &Pat, b: Time, e: Time) -> Vec<Hap> {
    let mut out = Vec::new();
    p.query(span(b, e), &mut Budget::new(10_000_000), &mut out)
        .unwrap();
    out
}

pub fn show(v: &Value) -> String {
    format!("{v:?}")
}

/// Onset events in `[b, e)` as `(value, whole begin, whole end)`, sorted.
pub fn onsets(p: &Pat, b: i64, e: i64) -> Vec<(String, Time, Time)> {
    let mut v: Vec<_> = query(p, Time::int(b), Time::int(e))
        .into_iter()
        .filter(|h| h.has_onset())
        .map(|h| {
            let w = h.whole.unwrap();
            (show(&h.value), w.begin, w.end)
        })
        .collect();
    v.sort_by(|a, b| (a.1, a.2, &a.0).cmp(&(b.1, b.2, &b.0)));
    v
}

/// `(value, begin, end)` triples from `"a 0/1 1/3"`-style literals.
/// `(value, (num, den) begin, (num, den) end)`.
pub type Lit<'a> = (&'a str, (i64, i64), (i64, i64));

pub fn ev(list: &[Lit]) -> Vec<(String, Time, Time)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(s, b, e)| (s.to_string(), t(b.0, b.1), t(e.0, e.1)))
        .collect();
    v.sort_by(|a, b| (a.1, a.2, &a.0).cmp(&(b.1, b.2, &b.0)));
    v
}
