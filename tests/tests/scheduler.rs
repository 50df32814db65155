//! The scheduler core: exactly-once delivery across any stepping, swaps at quantization
//! boundaries with nothing lost or doubled, untouched unchanged players, continue vs restart
//! phase, Replace vs Merge loading, and isolation of a failing player.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_pattern::Time;
use patter_runtime::{LoadMode, Notice, Phase, Quant, Scheduled, SchedulerCore};
use patter_tests::{playing_core, program};
use proptest::prelude::*;

fn bar() -> Quant {
    Quant::beats(Time::int(4))
}

/// (beat, player, degree-or-note) of each event.
fn summary(core: &SchedulerCore, events: &[Scheduled]) -> Vec<(Time, String, String)> {
    events
        .iter()
        .map(|s| {
            let v = s
                .event
                .get("degree")
                .or(s.event.get("note"))
                .or(s.event.get("s"))
                .map(|v| v.to_string())
                .unwrap_or_default();
            (s.event.beat, core.slot_name(s.slot).unwrap().to_string(), v)
        })
        .collect()
}

fn run(core: &mut SchedulerCore, until: i64) -> Vec<Scheduled> {
    let mut out = Vec::new();
    core.advance(Time::int(until), &mut out, &mut Vec::new());
    out
}

const SET: &str = "play a { degree: seq([0, 1, 2]), dur: 0.75 }\nplay b { s: \"bd*2 [~ sn] <hh cp>\" }\nplay c { note: \"0 .. 3\".every(2, rev), pan: white() }";

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_stepping_gives_each_event_exactly_once(steps in prop::collection::vec(1i64..40, 1..60)) {
        let p = program(SET);
        let mut whole = playing_core(&p);
        let expect = run(&mut whole, 32);

        let mut stepped = playing_core(&p);
        let mut got = Vec::new();
        let mut t = Time::ZERO;
        for s in steps {
            t = (t + Time::new(s, 16)).min(Time::int(32));
            stepped.advance(t, &mut got, &mut Vec::new());
        }
        stepped.advance(Time::int(32), &mut got, &mut Vec::new());
        prop_assert_eq!(summary(&whole, &expect), summary(&stepped, &got));
        prop_assert_eq!(expect, got);
    }
}

#[test]
fn a_changed_player_swaps_at_the_next_bar_with_nothing_lost_or_doubled() {
    let mut core = playing_core(&program("play a { degree: seq([0, 1, 2, 3]), dur: 1 }"));
    let mut events = run(&mut core, 5);
    let changes = core.load(
        &program("play a { degree: seq([10, 11, 12, 13]), dur: 1 }"),
        LoadMode::Replace,
        bar(),
        Phase::Continue,
    );
    assert_eq!(changes, vec![("a".into(), Time::int(8))]);
    let mut notices = Vec::new();
    core.advance(Time::int(12), &mut events, &mut notices);
    let got: Vec<(Time, String)> = summary(&core, &events)
        .into_iter()
        .map(|(b, _, v)| (b, v))
        .collect();
    let expect: Vec<(Time, String)> = [
        (0, "0"),
        (1, "1"),
        (2, "2"),
        (3, "3"),
        (4, "0"),
        (5, "1"),
        (6, "2"),
        (7, "3"),
        (8, "10"),
        (9, "11"),
        (10, "12"),
        (11, "13"),
    ]
    .iter()
    .map(|(b, v)| (Time::int(*b), v.to_string()))
    .collect();
    assert_eq!(got, expect);
    assert!(notices.contains(&Notice::Swapped {
        player: "a".into(),
        beat: Time::int(8),
        stopped: false
    }));
}

#[test]
fn continue_keeps_phase_and_restart_starts_over() {
    let old = program("play a { degree: seq([0, 1, 2, 3]), dur: 1 }");
    let new = program("play a { degree: seq([10, 11, 12]), dur: 1 }");
    let at8 = |phase: Phase| {
        let mut core = playing_core(&old);
        run(&mut core, 6);
        core.load(&new, LoadMode::Replace, bar(), phase);
        let events = run(&mut core, 11);
        summary(&core, &events)
            .into_iter()
            .map(|(_, _, v)| v)
            .collect::<Vec<_>>()
    };
    // In phase: beat 8 is the ninth event of the new stream: index 8, 8 mod 3 = 2.
    assert_eq!(at8(Phase::Continue), vec!["2", "3", "12", "10", "11"]);
    assert_eq!(at8(Phase::Restart), vec!["2", "3", "10", "11", "12"]);
}

#[test]
fn unchanged_players_are_untouched_and_whitespace_changes_nothing() {
    let before =
        program("play a { degree: rand([0, 1, 2, 3]), dur: 0.5 }\nplay b { note: \"0 1\" }");
    let edited = program("// a comment\nplay a {\n  degree: rand([0, 1, 2, 3]),   dur: 0.5\n}\nplay b { note: \"0 1\" }");
    let mut core = playing_core(&before);
    run(&mut core, 3);
    assert!(core
        .load(&edited, LoadMode::Replace, bar(), Phase::Continue)
        .is_empty());

    let changed_b =
        program("play a { degree: rand([0, 1, 2, 3]), dur: 0.5 }\nplay b { note: \"5 6 7\" }");
    let mut reloaded = playing_core(&before);
    let mut with_reload = run(&mut reloaded, 3);
    assert_eq!(
        reloaded.load(&changed_b, LoadMode::Replace, bar(), Phase::Continue),
        vec![("b".into(), Time::int(4))]
    );
    reloaded.advance(Time::int(16), &mut with_reload, &mut Vec::new());
    let mut plain = playing_core(&before);
    let without = run(&mut plain, 16);
    let only_a = |core: &SchedulerCore, ev: &[Scheduled]| {
        summary(core, ev)
            .into_iter()
            .filter(|(_, p, _)| p == "a")
            .collect::<Vec<_>>()
    };
    assert_eq!(only_a(&reloaded, &with_reload), only_a(&plain, &without));
}

#[test]
fn replace_stops_missing_players_and_merge_keeps_them() {
    let both = program("play a { note: \"0\" }\nplay b { note: \"1\" }");
    let only_a = program("play a { note: \"0\" }");
    for (mode, b_events_after_4) in [(LoadMode::Replace, 0), (LoadMode::Merge, 2)] {
        let mut core = playing_core(&both);
        run(&mut core, 2);
        core.load(&only_a, mode, bar(), Phase::Continue);
        let events = run(&mut core, 12);
        let b_after: usize = summary(&core, &events)
            .iter()
            .filter(|(t, p, _)| p == "b" && *t >= Time::int(4))
            .count();
        assert_eq!(b_after, b_events_after_4, "{mode:?}");
    }
}

#[test]
fn a_runaway_player_is_muted_and_the_others_play_on() {
    // Fine in its first cycle (so it compiles), explodes from the fourth.
    let p = program(
        "play bad { s: \"bd\".every(4, fast(100000000), offset: 3) }\nplay good { note: \"0 1\" }",
    );
    let mut core = playing_core(&p);
    let mut out = Vec::new();
    let mut notices = Vec::new();
    core.advance(Time::int(24), &mut out, &mut notices);
    assert!(notices
        .iter()
        .any(|n| matches!(n, Notice::Muted { player, .. } if &**player == "bad")));
    let good: Vec<Time> = summary(&core, &out)
        .into_iter()
        .filter(|(_, p, _)| p == "good")
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(
        good.len(),
        12,
        "the good player keeps every event: {good:?}"
    );
}

#[test]
fn stop_and_hush_take_effect_at_the_boundary() {
    let mut core = playing_core(&program(
        "play a { note: \"0*4\" }\nplay b { note: \"1*4\" }",
    ));
    run(&mut core, 1);
    assert_eq!(core.stop(Some(&["a"]), bar()), Time::int(4));
    let ev = run(&mut core, 8);
    let s = summary(&core, &ev);
    assert!(s.iter().all(|(t, p, _)| p != "a" || *t < Time::int(4)));
    assert_eq!(s.iter().filter(|(_, p, _)| p == "b").count(), 7);
    core.stop(None, bar());
    assert!(run(&mut core, 16).is_empty());
}

#[test]
fn seek_lands_in_phase() {
    let p = program("play a { degree: seq([0, 1, 2, 3, 4]), dur: 1 }");
    let mut core = playing_core(&p);
    core.seek(Time::int(100));
    core.advance(Time::int(100), &mut Vec::new(), &mut Vec::new());
    let ev = run(&mut core, 103);
    let vals: Vec<String> = summary(&core, &ev).into_iter().map(|(_, _, v)| v).collect();
    assert_eq!(vals, vec!["0", "1", "2"]);
}

#[test]
fn per_player_quant_and_restart_come_from_the_program() {
    let old = program("play a { degree: seq([0, 1, 2, 3]), dur: 1 }\nplay b { degree: seq([0, 1, 2, 3]), dur: 1 }");
    let new = program("play a { degree: seq([10, 11, 12]), dur: 1, quant: 1, restart: true }\nplay b { degree: seq([20, 21, 22]), dur: 1, quant: 8 }");
    let mut core = playing_core(&old);
    run(&mut core, 2);
    let changes = core.load(&new, LoadMode::Replace, bar(), Phase::Continue);
    assert_eq!(
        changes,
        vec![("a".into(), Time::int(2)), ("b".into(), Time::int(8))]
    );
    let events = run(&mut core, 10);
    let of = |p: &str| {
        summary(&core, &events)
            .into_iter()
            .filter(|(_, n, _)| n == p)
            .map(|(_, _, v)| v)
            .collect::<Vec<_>>()
    };
    // a restarts at beat 2; b keeps its old version until beat 8, then continues in phase.
    assert_eq!(
        of("a"),
        vec!["10", "11", "12", "10", "11", "12", "10", "11"]
    );
    assert_eq!(of("b"), vec!["2", "3", "0", "1", "2", "3", "22", "20"]);
    // Neither key reaches the events.
    assert!(events
        .iter()
        .all(|s| s.event.get("quant").is_none() && s.event.get("restart").is_none()));
}
