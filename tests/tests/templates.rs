//! Kept cycles of periodic players: a query cache that has seen a periodic cycle-mode
//! player serves later cycles from the events it kept, moved by whole cycles. These
//! properties check that this never changes an event: over random programs (periodic or
//! not, with random and index-reading keys mixed in) and random windows, one cache carried
//! across every window gives exactly the events of a fresh cache for each piece of one
//! cycle, which builds every event from the pattern itself.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_pattern::{Budget, Event, Program, QueryCache, Time, TimeSpan};
use patter_tests::{canonical, compile};
use proptest::prelude::*;

/// Windows `[0, end)` cut at `cuts` and at every cycle boundary (beats).
fn pieces(p: &Program, cuts: &[Time], end: Time) -> Vec<TimeSpan> {
    let mut points: Vec<Time> = cuts.iter().copied().filter(|c| *c < end).collect();
    let mut t = Time::ZERO;
    while t < end {
        points.push(t);
        t += p.cycle_beats;
    }
    points.push(end);
    points.sort();
    points.dedup();
    points
        .windows(2)
        .map(|w| TimeSpan::new(w[0], w[1]))
        .collect()
}

fn run(p: &Program, windows: &[TimeSpan], fresh_each: bool) -> Vec<Event> {
    let mut out = Vec::new();
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    for w in windows {
        if fresh_each {
            cache = QueryCache::default();
        }
        p.query(
            *w,
            &mut cache,
            Budget::new(10_000_000),
            &mut out,
            &mut failed,
        );
    }
    assert!(failed.is_empty(), "players over budget: {failed:?}");
    out
}

/// A random mini-notation sequence, nested up to `depth`.
fn mini(depth: u32) -> BoxedStrategy<String> {
    let atom = prop_oneof![
        (0i32..12).prop_map(|n| n.to_string()),
        Just("~".to_string()),
        Just("c4".to_string()),
        Just("e".to_string()),
    ];
    if depth == 0 {
        return atom.boxed();
    }
    let inner = mini(depth - 1);
    let step = prop_oneof![
        4 => inner.clone(),
        1 => (inner.clone(), 2i32..4).prop_map(|(s, n)| format!("{s}*{n}")),
        1 => (inner.clone(), 2i32..4).prop_map(|(s, n)| format!("{s}/{n}")),
        1 => (inner.clone(), 1i32..5, 5i32..9, 0i32..3).prop_map(|(s, k, n, r)| format!("{s}({k},{n},{r})")),
        1 => inner.clone().prop_map(|s| format!("{s}?")),
        1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("[{a} | {b}]")),
        1 => (inner.clone(), 2i32..4).prop_map(|(s, n)| format!("{s}@{n}")),
        1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("[{a}, {b}]")),
        1 => (0i32..4, 4i32..8).prop_map(|(a, b)| format!("{a} .. {b}")),
    ];
    let seq = prop::collection::vec(step, 1..5).prop_map(|v| v.join(" "));
    prop_oneof![
        2 => seq.clone().prop_map(|s| format!("[{s}]")),
        2 => seq.clone().prop_map(|s| format!("<{s}>")),
        1 => (seq.clone(), seq).prop_map(|(a, b)| format!("{{{a}, {b}}}")),
    ]
    .boxed()
}

/// A transform chained after a string.
fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (2i32..5).prop_map(|n| format!(".every({n}, rev)")),
        (2i32..5, 1i32..3).prop_map(|(a, b)| format!(".whenmod({a}, {b}, fast(2))")),
        Just(".fast(1.5)".to_string()),
        Just(".slow(2)".to_string()),
        Just(".slow(\"<1 2>\")".to_string()),
        Just(".rev".to_string()),
        Just(".off(0.125, p => p + 7)".to_string()),
        Just(".sometimesBy(0.3, fast(2))".to_string()),
        Just(".ply(2)".to_string()),
        Just(".early(0.25)".to_string()),
        Just(".arp(updown)".to_string()),
        Just(".arp(random)".to_string()),
    ]
}

/// A second key: constant, patterned, signal, random or index-reading.
fn other_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(", amp: 0.3".to_string()),
        Just(", amp: \"<0.2 0.5 0.7>\"".to_string()),
        Just(", legato: \"0.5 1\" * 2".to_string()),
        Just(", pan: sine.slow(3)".to_string()),
        Just(", degree: seq([0, 2, 4])".to_string()),
        Just(", amp: white(0.1, 0.4)".to_string()),
        Just(", octave: \"<4 5>\", scale: \"<major minor>\"".to_string()),
    ]
}

fn program() -> impl Strategy<Value = String> {
    let player = (
        prop_oneof![Just("note"), Just("s"), Just("n")],
        mini(2),
        method(),
        prop_oneof![Just(String::new()), Just(" + \"<0 12>\"".to_string())],
        other_key(),
    )
        .prop_map(|(key, m, meth, op, other)| format!("{key}: \"{m}\"{meth}{op}{other}"));
    (prop::collection::vec(player, 1..4), any::<bool>()).prop_map(|(players, par)| {
        if par && players.len() > 1 {
            let parts: Vec<String> = players
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{}, {{ {p} }}", i as f64 * 0.75))
                .collect();
            format!("play a ptpar([{}])", parts.join(", "))
        } else {
            players
                .iter()
                .enumerate()
                .map(|(i, p)| format!("play p{i} {{ {p} }}\n"))
                .collect()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn kept_cycles_equal_fresh_queries(
        src in program(),
        cuts in prop::collection::vec((0i64..96, 1i64..7), 0..24),
        start in -3i64..40,
    ) {
        let compiled = compile(&src);
        // Every generated program is valid, so that no case passes vacuously.
        prop_assert!(compiled.program.is_some(), "{} {:?}", src, compiled.diagnostics);
        let Some(p) = compiled.program else {
            return Ok(());
        };
        let end = p.cycle_beats * Time::int(24);
        let cuts: Vec<Time> = cuts.iter().map(|&(n, d)| Time::new(n, d)).collect();
        // Start somewhere in the timeline, as a scheduler after a seek does.
        let shift = p.cycle_beats * Time::int(start);
        let windows: Vec<TimeSpan> = pieces(&p, &cuts, end)
            .into_iter()
            .map(|w| TimeSpan::new(w.begin + shift, w.end + shift))
            .collect();
        let kept = run(&p, &windows, false);
        let fresh = run(&p, &windows, true);
        prop_assert_eq!(kept.len(), fresh.len(), "{}", src);
        for (a, b) in kept.iter().zip(&fresh) {
            prop_assert_eq!(a, b, "{}", src);
        }
    }
}

/// Named shapes, each served from kept cycles for most of the run, against fresh queries.
#[test]
fn periodic_shapes_equal_fresh_queries() {
    let shapes = [
        "play a { s: \"bd sn hh cp\" }",
        "play a { note: \"0 [1 2] [3 [4 5]] [6 [7 [8 9]]]\" }",
        "play a { note: \"<0 1 2> <3 4> [5 <6 7 8>]\" }",
        "play a { s: \"bd(3,8) sn(5,8,2) hh(7,16)\" }",
        "play a { note: \"[0,4,7]\".arp(updown).every(3, rev), amp: \"<0.2 0.4>\" }",
        "play a { s: \"bd:3 sn:1\".slow(3), speed: \"1 2 3\" }\nplay b { note: \"0 7\".fast(1.5) + \"<0 12 7>\" }",
        "tempo 90\ncycle 3\nplay a { note: \"0 1 2\".every(4, fast(2)) }",
        "play a ptpar([0, { note: \"0 2\" }, 1.5, { note: \"<4 5 6>\".off(0.25, p => p + 12) }])",
    ];
    for src in shapes {
        let compiled = compile(src);
        let Some(p) = compiled.program else {
            panic!("{src}: {:?}", compiled.diagnostics);
        };
        let end = p.cycle_beats * Time::int(40);
        // Whole cycles, then a scheduler's small windows (3/8 of a beat, across cycles).
        let small: Vec<Time> = (0..1000).map(|i| Time::new(3 * i, 8)).collect();
        let mut by_tiling = Vec::new();
        for cuts in [&[][..], &small[..]] {
            let windows = pieces(&p, cuts, end);
            let kept = run(&p, &windows, false);
            let fresh = run(&p, &windows, true);
            assert!(!kept.is_empty(), "{src}");
            assert_eq!(kept, fresh, "{src}");
            by_tiling.push(canonical(kept));
        }
        // Small windows take their events from the kept cycles by onset: the same events.
        assert_eq!(by_tiling[0], by_tiling[1], "{src}");
    }
}
