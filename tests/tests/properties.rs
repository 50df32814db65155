//! Properties of compiled programs: determinism, query additivity over any tiling of the
//! timeline, and isolation of one player's randomness from another's.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_pattern::Time;
use patter_tests::{canonical, compile, query_tiled};
use proptest::prelude::*;

const PROGRAMS: &[&str] = &[
    "play a { s: \"bd*2 [~ sn] <hh [hh hh]> cp?\" }",
    "play a { note: \"<0 [1 2]>(3,8,<0 2>) {3 4, 5 6 7}%4\".every(3, rev).sometimesBy(0.4, fast(2)) }",
    "play a { degree: seq([0, 2, rand([4, 5])]), dur: seq([0.25, 0.5, 0.75]), amp: white(0.1, 0.4) }",
    "play a { degree: brown(0, 7, 1), dur: wrand([0.25, 0.5], [0.5, 0.5]) }\nplay b { note: \"0 .. 3\".off(0.125, p => p + 7) }",
    "play a ptpar([0, { degree: seq([0, 1, 2]), dur: 0.75 }, 1.5, { degree: 7, dur: 1.25 }])",
    "play a { note: \"[0,4,7]\".arp(updown).ply(2), pan: sine.slow(3) }",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn additivity_over_any_tiling(which in 0..PROGRAMS.len(), mut cuts in prop::collection::vec((0i64..64, 1i64..8), 0..20)) {
        let program = compile(PROGRAMS[which]).program.unwrap();
        let end = Time::int(16);
        let whole = query_tiled(&program, &[], end);
        cuts.sort_by(|a, b| Time::new(a.0, a.1).cmp(&Time::new(b.0, b.1)));
        let cuts: Vec<Time> = cuts.into_iter().map(|(n, d)| Time::new(n, d) / Time::int(4)).collect();
        let tiled = query_tiled(&program, &cuts, end);
        prop_assert_eq!(whole.len(), tiled.len());
        prop_assert_eq!(canonical(whole), canonical(tiled));
    }
}

#[test]
fn same_program_and_seed_give_the_same_events() {
    for src in PROGRAMS {
        let a = query_tiled(&compile(src).program.unwrap(), &[], Time::int(32));
        let b = query_tiled(&compile(src).program.unwrap(), &[], Time::int(32));
        assert_eq!(a, b, "{src}");
        assert!(!a.is_empty(), "{src}");
    }
}

#[test]
fn editing_one_player_leaves_the_others_random_values_alone() {
    let before = "play a { degree: rand([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.25 }\nplay b { degree: white(0, 7), dur: 0.25 }";
    let after = "play a { degree: rand([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.25 }\nplay b { degree: white(0, 7) + xrand([0, 12]), dur: 0.5, amp: white(0, 1) }";
    let pick = |src: &str| {
        let p = compile(src).program.unwrap();
        query_tiled(&p, &[], Time::int(16))
            .into_iter()
            .filter(|e| e.player == 0)
            .map(|e| format!("{e:?}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(pick(before), pick(after));
}

#[test]
fn seed_changes_stream_randomness() {
    let src = "play a { degree: rand([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.25 }";
    let with = |seed: u64| {
        let c = patter_lang::compile_with(
            "s.pat",
            src,
            &patter_lang::NoImports,
            &patter_lang::Options { seed: Some(seed) },
        );
        query_tiled(&c.program.unwrap(), &[], Time::int(16))
    };
    assert_eq!(with(1), with(1));
    assert_ne!(with(1), with(2));
}
