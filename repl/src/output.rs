//! Event output formats.

use std::io::{self, Write};

use patter_pattern::{fmt_num, Event, Program, Value};

/// How events are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned text, one event per line.
    Table,
    /// One JSON object per line (the machine-readable contract).
    Jsonl,
    /// Only the number of events.
    Count,
}

/// The table's header line.
pub fn write_table_header(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<16} {:<8} {:<6} {:<7} {:<10} params",
        "whole (cycles)", "beat", "dur", "sustain", "player"
    )
}

/// One event in `format`.
pub fn write_event(
    out: &mut impl Write,
    format: Format,
    program: &Program,
    e: &Event,
) -> io::Result<()> {
    let player = program
        .players
        .get(e.player as usize)
        .map(|p| &*p.name)
        .unwrap_or("?");
    match format {
        Format::Table => {
            let whole = format!("{}–{}", e.whole.begin, e.whole.end);
            let params: Vec<String> = e.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            writeln!(
                out,
                "{:<16} {:<8} {:<6} {:<7} {:<10} {}",
                whole,
                e.beat.to_string(),
                e.dur.to_string(),
                short(e.sustain),
                player,
                params.join(" ")
            )
        }
        Format::Jsonl => {
            let mut line = String::with_capacity(128);
            line.push_str("{\"player\":");
            line.push_str(&json_string(player));
            line.push_str(&format!(
                ",\"whole\":[\"{}\",\"{}\"],\"beat\":\"{}\",\"dur\":\"{}\",\"sustain\":{}",
                e.whole.begin.ratio_string(),
                e.whole.end.ratio_string(),
                e.beat.ratio_string(),
                e.dur.ratio_string(),
                json_num(e.sustain)
            ));
            for (k, v) in &e.params {
                if matches!(&**k, "player" | "whole" | "beat" | "dur" | "sustain") {
                    // The event's own fields above already say these.
                    continue;
                }
                line.push(',');
                line.push_str(&json_string(k));
                line.push(':');
                line.push_str(&json_value(v));
            }
            line.push('}');
            writeln!(out, "{line}")
        }
        Format::Count => Ok(()),
    }
}

/// A number for the table: at most 4 decimals, so columns stay aligned (JSONL keeps every
/// digit).
fn short(x: f64) -> String {
    fmt_num((x * 10_000.0).round() / 10_000.0)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn json_num(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 9.0e15 {
        // Whole numbers print without a fraction: `60`, not `60.0`.
        return format!("{}", x as i64);
    }
    if x.is_finite() {
        serde_json::Number::from_f64(x)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "null".into())
    } else {
        "null".to_string()
    }
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Num(x) => json_num(*x),
        Value::Str(s) => json_string(s),
        Value::Bool(b) => b.to_string(),
        Value::Rest => "null".to_string(),
        Value::Chord(items) => {
            let parts: Vec<String> = items.iter().map(json_value).collect();
            format!("[{}]", parts.join(","))
        }
    }
}
