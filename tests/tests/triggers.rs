//! Triggers through the language: probabilistic consumption statistics with a fixed seed,
//! and the same events whether a piece is queried in one go, in a scheduler's small
//! windows, or sought into the middle with nothing cached.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_lang::{compile_with, NoImports, Options};
use patter_pattern::trigger::forget_checkpoints;
use patter_pattern::{Event, Program, Time};
use patter_tests::{diagnostics_text, events};
use patter_tests::{program, query_windows, seeded_program};

fn degrees(p: &Program, evs: &[Event], player: &str) -> Vec<f64> {
    let pi = p.players.iter().position(|x| &*x.name == player).unwrap() as u32;
    evs.iter()
        .filter(|e| e.player == pi)
        .map(|e| e.get("degree").and_then(|v| v.as_num()).unwrap())
        .collect()
}

/// A sixteenth-note trigger shared 3 : 1 between two listeners, each counting what it
/// took (`step` over 0, 1, 2, … with quant 0 is the count itself).
const SHARED: &str = r#"
let t = onsets("x*16")
play a { degree: t.share([3, 1], 0).step(0..1023, quant: 0), dur: 0.25 }
play b { degree: t.share([3, 1], 1).step(0..1023, quant: 0), dur: 0.25 }
play c { degree: t.chance(0.5, seed: 1).step(0..1023, quant: 0), dur: 0.25 }
play d { degree: t.chance(0.5, seed: 2).step(0..1023, quant: 0), dur: 0.25 }
"#;

#[test]
fn a_shared_trigger_is_taken_by_one_listener_at_a_time_by_weight() {
    let p = program(SHARED);
    let evs = events(&p, Time::ZERO, Time::int(64));
    let (a, b) = (degrees(&p, &evs, "a"), degrees(&p, &evs, "b"));
    assert_eq!(a.len(), 256);
    // Every sixteenth after the first is one firing, and exactly one listener counts it.
    for i in 1..a.len() {
        let took = (a[i] - a[i - 1], b[i] - b[i - 1]);
        assert!(took == (1.0, 0.0) || took == (0.0, 1.0), "at {i}: {took:?}");
    }
    assert_eq!(a[0] + b[0], 0.0);
    let (na, nb) = (a[255], b[255]);
    assert_eq!(na + nb, 255.0);
    // 3 : 1 by weight; the exact split is fixed by the seed.
    assert_eq!((na, nb), (198.0, 57.0));
    assert!((na - 255.0 * 0.75).abs() < 3.0 * (255.0f64 * 0.75 * 0.25).sqrt());
    // Independent chances: each takes about half, each its own half.
    let (c, d) = (degrees(&p, &evs, "c"), degrees(&p, &evs, "d"));
    assert_eq!((c[255], d[255]), (129.0, 114.0));
    assert_ne!(c, d);
    // The program seed changes the choices, and the same seed gives the same ones.
    let other = seeded_program(SHARED, Some(7));
    let evs7 = events(&other, Time::ZERO, Time::int(64));
    assert_ne!(degrees(&other, &evs7, "a"), a);
    let again = seeded_program(SHARED, Some(7));
    assert_eq!(
        degrees(&again, &events(&again, Time::ZERO, Time::int(64)), "a"),
        degrees(&other, &evs7, "a")
    );
}

const PIECE: &str = r#"
tempo 112
scale dorian
let charge = integrate(sine.slow(4), threshold: 3, leak: 0.05)
let mode = charge.step([dorian, phrygian, lydian])
play arp { s: "pluck(5,8)", degree: "0 2 4 6", scale: mode }
play bass { degree: seq([0, 4, 2]), dur: 1.5, octave: 3, scale: mode, quant: 2 }
play fill { s: "sn*8", start: timer(4).chance(0.5), stop: timer(4, offset: 1) }
play keys { degree: onsets("x(3,8)").step([0, 2, 4], quant: 0), dur: 0.5, stop: charge }
"#;

fn table(p: &Program, evs: &[Event]) -> String {
    patter_tests::event_table(p, evs)
}

#[test]
fn live_windows_offline_render_and_seeking_agree() {
    let p = program(PIECE);
    let end = Time::int(4 * 24);
    forget_checkpoints();
    let whole = query_windows(&p, Time::ZERO, end, end);
    // A scheduler's small windows (an awkward 7/16 of a beat).
    let windows = query_windows(&p, Time::ZERO, end, Time::new(7, 16));
    assert_eq!(table(&p, &windows), table(&p, &whole));
    // Seek into bar 17 with nothing cached: the state there is the same.
    forget_checkpoints();
    let from = Time::int(4 * 17);
    let sought = query_windows(&p, from, end, Time::ONE);
    let tail: Vec<Event> = whole.iter().filter(|e| e.beat >= from).cloned().collect();
    assert_eq!(table(&p, &sought), table(&p, &tail));
    // The modes do change, and the keys player is stopped by the first firing.
    let scales: std::collections::BTreeSet<String> = whole
        .iter()
        .filter_map(|e| e.get("scale").map(|v| v.to_string()))
        .collect();
    assert_eq!(scales.len(), 3, "{scales:?}");
    let keys = p.players.iter().position(|x| &*x.name == "keys").unwrap() as u32;
    let last_key = whole
        .iter()
        .filter(|e| e.player == keys)
        .map(|e| e.beat)
        .max()
        .unwrap();
    assert!(
        last_key < Time::int(4 * 8),
        "keys stop at the first firing: {last_key:?}"
    );
}

#[test]
fn the_integrator_example_changes_mode_where_its_comments_say() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/euclid-arp-integrator.pat");
    let src = std::fs::read_to_string(path).unwrap();
    let c = compile_with(
        "euclid-arp-integrator.pat",
        &src,
        &NoImports,
        &Options::default(),
    );
    assert!(c.diagnostics.is_empty(), "{}", diagnostics_text(&c));
    let p = c.program.unwrap();
    let evs = events(&p, Time::ZERO, Time::int(4 * 24));
    let bass = p.players.iter().position(|x| &*x.name == "bass").unwrap() as u32;
    // Bars (from 1) in which the bass plays phrygian.
    let dark: Vec<i64> = evs
        .iter()
        .filter(|e| e.player == bass && e.get("scale").is_some_and(|v| v.to_string() == "phrygian"))
        .map(|e| e.whole.begin.floor_int() + 1)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(dark, vec![5, 6, 7, 19, 20, 21]);
    let hats = p.players.iter().position(|x| &*x.name == "hats").unwrap() as u32;
    let hat_bars: std::collections::BTreeSet<i64> = evs
        .iter()
        .filter(|e| e.player == hats)
        .map(|e| e.whole.begin.floor_int() + 1)
        .collect();
    assert_eq!(hat_bars, (5..=18).collect());
}

/// The engine's scheduler thread keeps its own checkpoints; what it plays must still be
/// what the offline core computes.
#[test]
fn the_live_engine_plays_what_the_offline_core_computes() {
    let src = r#"
tempo 600
let t = onsets("x(3,8)")
play a { degree: t.step([0, 2, 4, 6], quant: 0), dur: 0.5, stop: timer(2) }
play b { degree: "0 1 2 3", scale: timer(1).step([dorian, phrygian]) }
play c { degree: integrate(saw, threshold: 1).step([0, 7]), dur: 1, octave: 4 }
"#;
    let p = program(src);
    let got = patter_tests::collect_live(&p, 40);
    patter_tests::assert_offline_core_agrees(&p, &got);
    // The values did switch while it played.
    let scales: std::collections::BTreeSet<String> = got
        .iter()
        .filter_map(|(ev, _)| ev.get("scale").map(|v| v.to_string()))
        .collect();
    assert_eq!(scales.len(), 2);
}
