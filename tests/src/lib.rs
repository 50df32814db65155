//! Shared helpers for patter's cross-crate tests: compile a source, query it, and print
//! events and diagnostics as stable text for snapshots.

pub mod audio;
pub mod jackd;
pub mod listen;
pub mod programs;
pub mod stats;

use patter_lang::{compile_with, Compiled, NoImports, Options};
use patter_pattern::{fmt_num, Budget, Event, Program, QueryCache, Time, TimeSpan};

/// Load `program` into `engine` (replacing what plays, at once, in phase) and start the
/// transport; `tempo` sets the tempo with it.
pub fn play(engine: &patter_runtime::Engine, program: Program, tempo: Option<f64>) {
    use patter_runtime::scheduler::{LoadMode, Phase};
    use patter_runtime::Command;
    assert!(engine.send(Command::Load {
        program: Box::new(program),
        mode: LoadMode::Replace,
        quant: None,
        phase: Phase::Continue,
        tempo,
    }));
    assert!(engine.send(Command::Play));
}

/// An engine at `tempo` with a 2 ms tick and 50 ms look-ahead: live tests run many
/// beats a second and see events soon after they are scheduled.
pub fn quick_engine(tempo: f64) -> patter_runtime::Engine {
    patter_runtime::Engine::start(patter_runtime::EngineConfig {
        tempo,
        tick: 0.002,
        lookahead: 0.05,
        ..patter_runtime::EngineConfig::default()
    })
}

/// Play `program` on a live engine at 600 BPM (2 ms ticks, 50 ms look-ahead) into a
/// collecting sink until it has sent `at_least` events (10 s at most); the events, each
/// with its times.
pub fn collect_live(
    program: &Program,
    at_least: usize,
) -> Vec<(Event, patter_runtime::sink::EventTimes)> {
    use patter_runtime::sink::collect::CollectSink;
    use patter_runtime::Command;
    use std::time::{Duration, Instant};
    let mut e = quick_engine(600.0);
    let (sink, events, _) = CollectSink::new("collect");
    e.send(Command::AddSink(Box::new(sink)));
    play(&e, program.clone(), None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while events.lock().map_or(0, |v| v.len()) < at_least && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    e.shutdown();
    let got = events.lock().map(|v| v.clone()).unwrap_or_default();
    assert!(got.len() >= at_least, "only {} events", got.len());
    got
}

/// An offline scheduler core at beat 0 playing `program` (loaded at once, in phase).
pub fn playing_core(program: &Program) -> patter_runtime::scheduler::SchedulerCore {
    use patter_runtime::scheduler::{LoadMode, Phase, SchedulerCore};
    let mut core = SchedulerCore::new(Time::ZERO);
    core.load(
        program,
        LoadMode::Replace,
        patter_runtime::Quant::beats(Time::int(4)),
        Phase::Continue,
    );
    core
}

/// Check that live events (as a collecting sink received them) are what the offline
/// scheduler core computes for `program`, beat for beat and parameter for parameter.
pub fn assert_offline_core_agrees(
    program: &Program,
    live: &[(Event, patter_runtime::sink::EventTimes)],
) {
    // The offline core computes its own trigger checkpoints, as the engine's thread did.
    patter_pattern::trigger::forget_checkpoints();
    let Some(last) = live.last().map(|(e, _)| e.beat) else {
        return;
    };
    let mut core = playing_core(program);
    let mut offline = Vec::new();
    core.advance(last + Time::new(1, 1000), &mut offline, &mut Vec::new());
    let live: Vec<_> = live
        .iter()
        .map(|(ev, _)| (ev.beat, ev.params.clone()))
        .collect();
    let expect: Vec<_> = offline
        .iter()
        .map(|s| (s.event.beat, s.event.params.clone()))
        .collect();
    assert_eq!(live, expect);
}

/// The program of `src` (no imports, no seed); panics with the diagnostics on an error.
pub fn program(src: &str) -> Program {
    seeded_program(src, None)
}

/// The program of `src` with `seed`; panics with the diagnostics on an error.
#[allow(clippy::panic)] // a test helper: the panic is the test's failure message
pub fn seeded_program(src: &str, seed: Option<u64>) -> Program {
    let c = compile_with("t.pat", src, &NoImports, &Options { seed });
    let text = diagnostics_text(&c);
    assert!(!c.has_errors(), "{text}");
    c.program.unwrap_or_else(|| panic!("{text}"))
}

/// Compile `src` with no imports.
pub fn compile(src: &str) -> Compiled {
    compile_with("case.pat", src, &NoImports, &Options::default())
}

/// Events with onsets in `[from, to)` beats, queried one cycle at a time (players over
/// their budget are left out, as in a runaway case).
pub fn events(program: &Program, from: Time, to: Time) -> Vec<Event> {
    query_steps(program, from, to, program.cycle_beats).0
}

/// Events with onsets in `[from, to)` beats, queried in windows of `step` beats; no player
/// may run over its budget.
pub fn query_windows(program: &Program, from: Time, to: Time, step: Time) -> Vec<Event> {
    let (out, failed) = query_steps(program, from, to, step);
    assert!(failed.is_empty(), "players over budget: {failed:?}");
    out
}

/// The events and the players over budget of `[from, to)` queried `step` beats at a time.
fn query_steps(program: &Program, from: Time, to: Time, step: Time) -> (Vec<Event>, Vec<u32>) {
    let mut out = Vec::new();
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    let mut t = from;
    while t < to {
        let stop = (t + step).min(to);
        program.query(
            TimeSpan::new(t, stop),
            &mut cache,
            Budget::new(5_000_000),
            &mut out,
            &mut failed,
        );
        t = stop;
    }
    (out, failed)
}

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

/// Events of the first `cycles` cycles.
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
