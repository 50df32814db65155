//! Shared helpers for patter's cross-crate tests: compile a source, query it, and print
//! events and diagnostics as stable text for snapshots.

pub mod audio;
pub mod jackd;
pub mod listen;
pub mod programs;
pub mod stats;

use patter_lang::{compile_with, Compiled, NoImports, Options};
use patter_pattern::{fmt_num, Budget, Event, Program, QueryCache, Time, TimeSpan};

/// Compile `src` with no imports.
pub fn compile(src: &str) -> Compiled {
    compile_with("case.pat", src, &NoImports, &Options::default())
}

/// Events with onsets in `[from, to)` beats, queried one cycle at a time.
pub fn events(program: &Program, from: Time, to: Time) -> Vec<Event> {
    let mut out = Vec::new();
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    let mut t = from;
    while t < to {
        let stop = (t + program.cycle_beats).min(to);
        program.query(
            TimeSpan::new(t, stop),
            &mut cache,
            Budget::new(5_000_000),
            &mut out,
            &mut failed,
        );
        t = stop;
    }
    out
}

/// Events of the first `cycles` cycles.
/// Query `[0, end)` as a run of windows cut at `cuts` (cuts outside the range or out of
/// order are skipped): for query additivity properties.
pub fn query_tiled(p: &Program, cuts: &[Time], end: Time) -> Vec<Event> {
    let mut out = Vec::new();
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    let mut t = Time::ZERO;
    for &c in cuts.iter().chain(std::iter::once(&end)) {
        if c <= t || c > end {
            continue;
        }
        p.query(
            TimeSpan::new(t, c),
            &mut cache,
            Budget::new(10_000_000),
            &mut out,
            &mut failed,
        );
        t = c;
    }
    assert!(failed.is_empty(), "players over budget: {failed:?}");
    out
}

/// Events as sorted debug lines, to compare two queries' events as sets.
pub fn canonical(events: Vec<Event>) -> Vec<String> {
    let mut lines: Vec<String> = events.into_iter().map(|e| format!("{e:?}")).collect();
    lines.sort();
    lines
}

pub fn first_cycles(program: &Program, cycles: i64) -> Vec<Event> {
    events(program, Time::ZERO, program.cycle_beats * Time::int(cycles))
}

/// One line per event: `whole | beat dur sustain | player | key=value …`.
pub fn event_table(program: &Program, events: &[Event]) -> String {
    let mut s = String::new();
    for e in events {
        let player = program
            .players
            .get(e.player as usize)
            .map(|p| &*p.name)
            .unwrap_or("?");
        let params: Vec<String> = e.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.push_str(&format!(
            "{}–{} | beat {} dur {} sus {} | {} | {}\n",
            e.whole.begin,
            e.whole.end,
            e.beat,
            e.dur,
            fmt_num(e.sustain),
            player,
            params.join(" ")
        ));
    }
    if s.is_empty() {
        s.push_str("(no events)\n");
    }
    s
}

/// Rendered diagnostics, colour off (or "none").
pub fn diagnostics_text(c: &Compiled) -> String {
    if c.diagnostics.is_empty() {
        return "none\n".to_string();
    }
    patter_lang::diagnostic::render(&c.diagnostics, &c.sources, false)
}

/// The onsets (whole begin, whole end in cycles) and a key's value for each event of the
/// first `cycles` cycles: compact expectations for conformance tests.
pub fn onsets(src: &str, key: &str, cycles: i64) -> Vec<(Time, Time, String)> {
    let c = compile(src);
    let Some(p) = c.program else {
        return vec![(Time::ZERO, Time::ZERO, diagnostics_text(&c))];
    };
    first_cycles(&p, cycles)
        .into_iter()
        .map(|e| {
            let v = e.get(key).map(|v| v.to_string()).unwrap_or_default();
            (e.whole.begin, e.whole.end, v)
        })
        .collect()
}
