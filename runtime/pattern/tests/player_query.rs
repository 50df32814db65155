//! Players to events: stream mode (Pbind), cycle mode (Tidal structure), chords, rests,
//! ordering, mute/solo, budgets, parallel patterns, and cache/tiling invariance.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use patter_pattern::build;
use patter_pattern::{
    BinOp, Bind, Budget, Event, EventPat, Key, Player, Program, QueryCache, Stream, StreamRef,
    Time, TimeSpan, Value,
};
use proptest::prelude::*;

fn n(x: f64) -> StreamRef {
    Stream::num(x)
}

fn seq(xs: Vec<StreamRef>, repeats: Option<u64>) -> StreamRef {
    Stream::Seq {
        items: xs,
        repeats,
        offset: 0,
    }
    .rc()
}

fn nums(xs: &[f64]) -> Vec<StreamRef> {
    xs.iter().map(|&x| n(x)).collect()
}

fn word(s: &str) -> StreamRef {
    Stream::Const(Value::str(s)).rc()
}

fn bind(keys: Vec<(&str, StreamRef)>) -> Arc<EventPat> {
    Arc::new(EventPat::Bind(Bind {
        keys: keys.into_iter().map(|(k, s)| (Key::new(k), s)).collect(),
    }))
}

fn player(name: &str, body: Arc<EventPat>) -> Player {
    Player {
        name: Arc::from(name),
        body,
        seed: name.len() as u64 * 7919,
        muted: false,
        quant: None,
        restart: false,
        feel: None,
        active: None,
    }
}

fn program(players: Vec<Player>) -> Program {
    Program {
        players,
        ..Program::default()
    }
}

fn beats(a: i64, b: i64) -> TimeSpan {
    TimeSpan::new(Time::int(a), Time::int(b))
}

fn query_with(p: &Program, w: TimeSpan, cache: &mut QueryCache) -> (Vec<Event>, Vec<u32>) {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    p.query(w, cache, Budget::new(1_000_000), &mut out, &mut failed);
    (out, failed)
}

fn query(p: &Program, w: TimeSpan) -> Vec<Event> {
    let (out, failed) = query_with(p, w, &mut QueryCache::new());
    assert!(failed.is_empty());
    out
}

fn onsets(es: &[Event]) -> Vec<Time> {
    es.iter().map(|e| e.beat).collect()
}

fn num(e: &Event, k: &str) -> f64 {
    e.get(k).unwrap().as_num().unwrap()
}

#[test]
fn default_event_every_beat() {
    let p = program(vec![player("a", bind(vec![]))]);
    let es = query(&p, beats(0, 4));
    assert_eq!(onsets(&es), (0..4).map(Time::int).collect::<Vec<_>>());
    let e = &es[0];
    assert_eq!(e.dur, Time::ONE);
    assert!((e.sustain - 0.8).abs() < 1e-12);
    assert_eq!(num(e, "midinote"), 60.0);
    assert!((num(e, "amp") - 0.1).abs() < 1e-12);
    assert_eq!(e.whole, TimeSpan::new(Time::ZERO, Time::new(1, 4)));
    let keys: Vec<&str> = e.params.iter().map(|(k, _)| &**k).collect();
    assert_eq!(keys, vec!["amp", "freq", "midinote", "velocity"]);
}

#[test]
fn dur_sequence_sets_onsets() {
    let p = program(vec![player(
        "a",
        bind(vec![("dur", seq(nums(&[1.0, 0.5, 0.5]), None))]),
    )]);
    let es = query(&p, beats(0, 4));
    assert_eq!(
        onsets(&es),
        vec![
            Time::int(0),
            Time::int(1),
            Time::new(3, 2),
            Time::int(2),
            Time::int(3),
            Time::new(7, 2)
        ]
    );
    assert_eq!(es[1].dur, Time::new(1, 2));
    // Seeking far ahead lands on the same grid.
    let far = query(&p, TimeSpan::new(Time::int(2000), Time::new(4003, 2)));
    assert_eq!(onsets(&far), vec![Time::int(2000), Time::int(2001)]);
}

#[test]
fn a_repeated_key_takes_the_later_value() {
    let p = program(vec![player(
        "a",
        bind(vec![("degree", n(1.)), ("s", word("x")), ("degree", n(2.))]),
    )]);
    let e = &query(&p, beats(0, 1))[0];
    assert_eq!(num(e, "midinote"), 64.0);
    assert_eq!(e.params.iter().filter(|(k, _)| &**k == "degree").count(), 1);
}

#[test]
fn stretch_and_delta() {
    let p = program(vec![player(
        "a",
        bind(vec![("dur", n(1.0)), ("stretch", n(0.5))]),
    )]);
    let es = query(&p, beats(0, 1));
    assert_eq!(onsets(&es), vec![Time::ZERO, Time::new(1, 2)]);
    assert!((es[0].sustain - 0.4).abs() < 1e-12);
    let p = program(vec![player(
        "a",
        bind(vec![
            ("dur", n(1.0)),
            ("delta", n(0.25)),
            ("sustain", n(3.0)),
        ]),
    )]);
    let es = query(&p, beats(0, 1));
    assert_eq!(es.len(), 4);
    assert_eq!(es[0].sustain, 3.0);
}

#[test]
fn finite_stream_ends_the_player() {
    let p = program(vec![player(
        "a",
        bind(vec![
            ("degree", seq(nums(&[0., 1., 2.]), Some(1))),
            ("dur", n(0.5)),
        ]),
    )]);
    let es = query(&p, beats(0, 10));
    assert_eq!(es.len(), 3);
    assert_eq!(
        es.iter().map(|e| num(e, "midinote")).collect::<Vec<_>>(),
        vec![60., 62., 64.]
    );
    assert!(query(&p, beats(2, 10)).is_empty());
}

#[test]
fn rests_keep_time() {
    let rest = Stream::Const(Value::Rest).rc();
    let p = program(vec![player(
        "a",
        bind(vec![("degree", seq(vec![n(0.), rest, n(2.)], None))]),
    )]);
    let es = query(&p, beats(0, 6));
    assert_eq!(
        onsets(&es),
        vec![Time::int(0), Time::int(2), Time::int(3), Time::int(5)]
    );
}

#[test]
fn chords_expand_into_notes() {
    let chord = Stream::Const(Value::Chord(Arc::from(vec![
        Value::Num(0.),
        Value::Num(2.),
        Value::Num(4.),
    ])))
    .rc();
    let amps = Stream::Const(Value::Chord(Arc::from(vec![
        Value::Num(0.5),
        Value::Num(0.25),
    ])))
    .rc();
    let p = program(vec![player(
        "a",
        bind(vec![("degree", chord), ("amp", amps)]),
    )]);
    let es = query(&p, beats(0, 1));
    assert_eq!(es.len(), 3);
    assert_eq!(
        es.iter().map(|e| num(e, "midinote")).collect::<Vec<_>>(),
        vec![60., 64., 67.]
    );
    assert_eq!(
        es.iter().map(|e| num(e, "amp")).collect::<Vec<_>>(),
        vec![0.5, 0.25, 0.5]
    );
    assert!(es
        .iter()
        .all(|e| e.params.iter().all(|(_, v)| !matches!(v, Value::Chord(_)))));
}

#[test]
fn sample_names_split_and_unpitched() {
    let p = program(vec![player("a", bind(vec![("s", word("bd:3"))]))]);
    let e = &query(&p, beats(0, 1))[0];
    assert_eq!(e.get("s"), Some(&Value::str("bd")));
    assert_eq!(e.get("n"), Some(&Value::Num(3.0)));
    assert!(e.get("freq").is_none());
    assert!(e.get("amp").is_some());
    let p = program(vec![player(
        "a",
        bind(vec![("s", word("bd:3")), ("n", n(1.))]),
    )]);
    let e = &query(&p, beats(0, 1))[0];
    assert_eq!(e.get("s"), Some(&Value::str("bd:3")));
    assert_eq!(e.get("n"), Some(&Value::Num(1.0)));
    // A pitch key makes a sample event pitched.
    let p = program(vec![player(
        "a",
        bind(vec![("s", word("piano")), ("degree", n(1.))]),
    )]);
    assert_eq!(num(&query(&p, beats(0, 1))[0], "midinote"), 62.0);
}

#[test]
fn cycle_mode_structure() {
    let pat = build::seq_words(&["bd", "sn"]);
    let p = program(vec![player(
        "a",
        bind(vec![
            ("s", Stream::Cycle(pat).rc()),
            ("n", seq(nums(&[0., 1., 2.]), None)),
        ]),
    )]);
    let es = query(&p, beats(0, 8));
    assert_eq!(
        onsets(&es),
        vec![Time::int(0), Time::int(2), Time::int(4), Time::int(6)]
    );
    assert!(es.iter().all(|e| e.dur == Time::int(2)));
    assert_eq!(es[1].whole, TimeSpan::new(Time::new(1, 2), Time::ONE));
    assert_eq!(
        es.iter()
            .map(|e| (e.get("s").unwrap().clone(), num(e, "n")))
            .collect::<Vec<_>>(),
        vec![
            (Value::str("bd"), 0.),
            (Value::str("sn"), 1.),
            (Value::str("bd"), 2.),
            (Value::str("sn"), 0.)
        ]
    );
    // Indices count events since cycle 0, whatever the window.
    let late = query(&p, beats(12, 16));
    assert_eq!(num(&late[0], "n"), 0.0);
    assert_eq!(num(&late[1], "n"), 1.0);
    let half = query(&p, TimeSpan::new(Time::int(14), Time::int(16)));
    assert_eq!(half.len(), 1);
    assert_eq!(num(&half[0], "n"), 1.0);
}

#[test]
fn cycle_mode_operator_root() {
    let pat = build::seq_nums(&[0., 4.]);
    let note = Stream::Bin {
        op: BinOp::Add,
        left: Stream::Cycle(pat).rc(),
        right: seq(nums(&[0., 12.]), None),
    }
    .rc();
    let p = program(vec![player("a", bind(vec![("note", note)]))]);
    let es = query(&p, beats(0, 8));
    assert_eq!(
        es.iter().map(|e| num(e, "note")).collect::<Vec<_>>(),
        vec![0., 16., 0., 16.]
    );
    assert_eq!(num(&es[1], "midinote"), 76.0);
}

#[test]
fn cycle_mode_samples_other_cycle_keys_at_onsets() {
    let p = program(vec![player(
        "a",
        bind(vec![
            (
                "s",
                Stream::Cycle(build::seq_words(&["bd", "bd", "bd", "bd"])).rc(),
            ),
            ("n", Stream::Cycle(build::seq_nums(&[1., 2.])).rc()),
        ]),
    )]);
    let es = query(&p, beats(0, 4));
    assert_eq!(
        es.iter().map(|e| num(e, "n")).collect::<Vec<_>>(),
        vec![1., 1., 2., 2.]
    );
}

#[test]
fn ordered_by_onset_then_name_with_mute_and_solo() {
    let mut p = program(vec![
        player("zed", bind(vec![("dur", n(0.5))])),
        player("amy", bind(vec![])),
    ]);
    let es = query(&p, beats(0, 2));
    let order: Vec<(Time, u32)> = es.iter().map(|e| (e.beat, e.player)).collect();
    assert_eq!(
        order,
        vec![
            (Time::int(0), 1),
            (Time::int(0), 0),
            (Time::new(1, 2), 0),
            (Time::int(1), 1),
            (Time::int(1), 0),
            (Time::new(3, 2), 0)
        ]
    );
    p.players[1].muted = true;
    assert!(query(&p, beats(0, 2)).iter().all(|e| e.player == 0));
    p.players[1].muted = false;
    p.solo = vec![Arc::from("amy")];
    assert!(query(&p, beats(0, 2)).iter().all(|e| e.player == 1));
}

#[test]
fn budget_overrun_isolates_one_player() {
    let p = program(vec![
        player("runaway", bind(vec![("dur", n(0.0))])),
        player("fine", bind(vec![])),
    ]);
    let (es, failed) = query_with(&p, beats(0, 4), &mut QueryCache::new());
    assert_eq!(failed, vec![0]);
    assert_eq!(es.len(), 4);
    assert!(es.iter().all(|e| e.player == 1));
}

#[test]
fn ptpar_shifts_sub_patterns() {
    let body = Arc::new(EventPat::Par(vec![
        (
            Time::ZERO,
            bind(vec![("degree", seq(nums(&[0., 1.]), None))]),
        ),
        (
            Time::new(1, 2),
            bind(vec![("degree", seq(nums(&[5., 6.]), None))]),
        ),
    ]));
    let p = program(vec![player("a", body)]);
    let es = query(&p, beats(0, 2));
    assert_eq!(
        es.iter()
            .map(|e| (e.beat, num(e, "midinote")))
            .collect::<Vec<_>>(),
        vec![
            (Time::int(0), 60.),
            (Time::new(1, 2), 69.),
            (Time::int(1), 62.),
            (Time::new(3, 2), 71.)
        ]
    );
}

fn random_program() -> Program {
    let rand_dur = Stream::Rand {
        items: nums(&[0.25, 0.5, 1.0]),
        repeats: None,
        seed: 1,
    }
    .rc();
    let brown = Stream::Brown {
        lo: n(0.),
        hi: n(7.),
        step: n(1.),
        length: None,
        seed: 2,
    }
    .rc();
    let xr = Stream::XRand {
        items: vec![n(0.), seq(nums(&[3., 4.]), Some(1)), n(7.)],
        repeats: None,
        seed: 3,
    }
    .rc();
    let series = Stream::Series {
        start: n(0.),
        step: seq(nums(&[1., -1., 2.]), None),
        length: None,
    }
    .rc();
    let cyc = Stream::Cycle(build::fastcat(vec![
        build::word("bd"),
        build::seq_words(&["sn", "hh"]),
        build::word("bd:2"),
    ]))
    .rc();
    program(vec![
        player(
            "mel",
            bind(vec![("degree", brown), ("dur", rand_dur), ("pan", series)]),
        ),
        player("arp", bind(vec![("degree", xr), ("dur", n(0.25))])),
        player(
            "drums",
            bind(vec![("s", cyc), ("n", seq(nums(&[0., 1., 2.]), None))]),
        ),
        player(
            "par",
            Arc::new(EventPat::Par(vec![
                (
                    Time::new(1, 3),
                    bind(vec![(
                        "dur",
                        Stream::Shuf {
                            items: nums(&[0.5, 0.75, 0.25]),
                            repeats: None,
                            seed: 4,
                        }
                        .rc(),
                    )]),
                ),
                (
                    Time::int(3),
                    bind(vec![(
                        "note",
                        Stream::Bin {
                            op: BinOp::Add,
                            left: Stream::Cycle(build::seq_nums(&[0., 7., 12.])).rc(),
                            right: seq(nums(&[0., 1.]), None),
                        }
                        .rc(),
                    )]),
                ),
            ])),
        ),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn tilings_and_cache_give_identical_events(cuts in proptest::collection::vec(1i64..256, 1..12)) {
        let p = random_program();
        let whole = query(&p, beats(0, 64));
        // Cut [0, 64) at random quarter-beat points.
        let mut points: Vec<i64> = cuts.into_iter().map(|c| c % 256).collect();
        points.push(0);
        points.push(256);
        points.sort_unstable();
        points.dedup();
        let mut cache = QueryCache::new();
        let mut tiled = Vec::new();
        let mut fresh = Vec::new();
        for w in points.windows(2) {
            let span = TimeSpan::new(Time::new(w[0], 4), Time::new(w[1], 4));
            let (es, failed) = query_with(&p, span, &mut cache);
            prop_assert!(failed.is_empty());
            tiled.extend(es);
            fresh.extend(query(&p, span));
        }
        for e in &whole {
            prop_assert!(e.params.windows(2).all(|w| w[0].0 < w[1].0), "params sorted, unique");
        }
        prop_assert_eq!(&tiled, &whole);
        prop_assert_eq!(&fresh, &whole);
    }
}

#[test]
fn user_scales_are_used_then_left_out() {
    let scale = Stream::Const(Value::Chord(Arc::from(vec![
        Value::Num(0.),
        Value::Num(3.),
        Value::Num(7.),
    ])))
    .rc();
    let p = program(vec![player(
        "a",
        bind(vec![("scale", scale), ("degree", n(2.))]),
    )]);
    let es = query(&p, beats(0, 1));
    assert_eq!(es.len(), 1);
    assert_eq!(num(&es[0], "midinote"), 67.0);
    assert!(es[0].get("scale").is_none());
    let p = program(vec![player(
        "a",
        bind(vec![("scale", word("dorian")), ("degree", n(2.))]),
    )]);
    let e = &query(&p, beats(0, 1))[0];
    assert_eq!(e.get("scale"), Some(&Value::str("dorian")));
    assert_eq!(num(e, "midinote"), 63.0);
}

#[test]
fn an_ended_player_stays_silent_with_and_without_cache() {
    let p = program(vec![player(
        "a",
        bind(vec![
            ("degree", seq(nums(&[0., 1., 2.]), Some(1))),
            ("dur", seq(nums(&[0.5, 0.25]), None)),
        ]),
    )]);
    let mut cache = QueryCache::new();
    let mut all = Vec::new();
    for b in 0..8 {
        let (es, failed) = query_with(&p, beats(b, b + 1), &mut cache);
        assert!(failed.is_empty());
        all.extend(es);
    }
    assert_eq!(
        onsets(&all),
        vec![Time::ZERO, Time::new(1, 2), Time::new(3, 4)]
    );
    assert!(query(&p, beats(1, 1000)).is_empty());
}

/// Each player queried alone, then stably ordered by onset, name and index: what a program
/// query must give, whether it merges sorted lists or sorts.
fn reference_order(p: &Program, w: TimeSpan) -> Vec<Event> {
    let mut all = Vec::new();
    for i in 0..p.players.len() {
        let mut alone = p.clone();
        for (j, pl) in alone.players.iter_mut().enumerate() {
            pl.muted = pl.muted || i != j;
        }
        all.extend(query(&alone, w));
    }
    all.sort_by(|a, b| {
        let name = |e: &Event| p.players[e.player as usize].name.clone();
        a.beat
            .cmp(&b.beat)
            .then(name(a).cmp(&name(b)))
            .then(a.player.cmp(&b.player))
    });
    all
}

#[test]
fn several_players_merge_in_onset_then_name_order() {
    // A `par` player's own events are not in onset order (the sort path); the others
    // are (the merge path), with equal names and onsets shared between players.
    let mut with_par = random_program();
    with_par
        .players
        .push(player("arp", bind(vec![("dur", n(0.5))])));
    let mut without_par = with_par.clone();
    without_par.players.retain(|pl| &*pl.name != "par");
    for p in [&with_par, &without_par] {
        for (a, b) in [(0, 16), (3, 5), (7, 8)] {
            let w = beats(a, b);
            assert_eq!(query(p, w), reference_order(p, w), "{w:?}");
        }
    }
}
