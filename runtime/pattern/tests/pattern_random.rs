//! Tidal's randomness: the reference table (§5) of `rand`, `a?` and `[a|b|c]` for cycles
//! 0..11, plus the statistical bounds of Strudel's suite.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use patter_pattern::build::*;
use patter_pattern::rand::{rand, time_to_rand, time_to_rand_f64, time_to_rands};
use patter_pattern::Time;

const TIDAL_RAND: [f64; 12] = [
    0.5, 0.5178, 0.0360, 0.8026, 0.0720, 0.1154, 0.6052, 0.1469, 0.1436, 0.4303, 0.2312, 0.6044,
];
const TIDAL_KEEPS: [bool; 12] = [
    true, true, false, true, false, false, true, false, false, false, false, true,
];
const TIDAL_CHOICE: [usize; 12] = [1, 1, 0, 2, 0, 0, 1, 0, 0, 1, 0, 1];

#[test]
fn rand_matches_the_reference_table() {
    for (c, want) in TIDAL_RAND.iter().enumerate() {
        let got = time_to_rand(Time::int(c as i64));
        assert!((got - want).abs() < 5e-5, "cycle {c}: {got} vs {want}");
        assert_eq!(got, time_to_rand_f64(c as f64), "float path, cycle {c}");
        assert_eq!(got, rand(Time::int(c as i64), 0));
    }
}

#[test]
fn degrade_keeps_the_reference_cycles() {
    let p = degrade_by(0.5, 0, word("a"));
    let kept: Vec<bool> = (0..12).map(|c| onsets(&p, c, c + 1).len() == 1).collect();
    assert_eq!(kept, TIDAL_KEEPS);
    // a*8? in cycle 0 keeps x.xx....
    let p = degrade_by(0.5, 0, fast(Time::int(8), word("a")));
    let begins: Vec<Time> = onsets(&p, 0, 1).into_iter().map(|e| e.1).collect();
    assert_eq!(begins, vec![t(0, 8), t(2, 8), t(3, 8)]);
}

#[test]
fn undegrade_is_the_complement() {
    for seed in 0..3 {
        let src = fast(Time::int(8), word("a"));
        let a = onsets(&degrade_by(0.3, seed, src.clone()), 0, 20);
        let b = onsets(&undegrade_by(0.3, seed, src.clone()), 0, 20);
        let mut both = [a.clone(), b.clone()].concat();
        both.sort();
        assert_eq!(both, onsets(&src, 0, 20));
        assert!(!a.is_empty() && !b.is_empty());
    }
}

#[test]
fn seeds_shift_time_by_a_ten_thousandth() {
    for c in 0..12 {
        assert_eq!(
            rand(Time::int(c), 3),
            time_to_rand(Time::int(c) + Time::new(3, 10_000))
        );
    }
    let a = degrade_by(0.5, 0, fast(Time::int(16), word("a")));
    let b = degrade_by(0.5, 1, fast(Time::int(16), word("a")));
    assert_ne!(onsets(&a, 0, 4), onsets(&b, 0, 4));
}

#[test]
fn rand_choice_matches_the_reference_table() {
    let p = rand_choice(0, vec![word("a"), word("b"), word("c")]);
    let names = ["a", "b", "c"];
    for (c, want) in TIDAL_CHOICE.iter().enumerate() {
        let got = onsets(&p, c as i64, c as i64 + 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, names[*want], "cycle {c}");
    }
}

#[test]
fn rand_choice_cuts_wholes_to_the_cycle() {
    // [a|b/2]: whenever b is chosen its (2-cycle) whole is cut to the cycle, so it plays.
    let p = rand_choice(0, vec![slow(Time::int(2), word("b"))]);
    assert_eq!(onsets(&p, 1, 2), ev(&[("b", (1, 1), (2, 1))]));
}

#[test]
fn statistics_survive_a_prng_change() {
    let p = degrade_by(0.5, 0, word("a"));
    let n = onsets(&p, 0, 1000).len();
    assert!((459..=541).contains(&n), "{n}");
    let p = degrade_by(0.8, 0, word("a"));
    assert!(onsets(&p, 0, 1000).len() < 230);
    // [a|b] [a|b]: Strudel's suite expects each combination 215..286 times in 1000 cycles,
    // but that bound does not survive the switch to Tidal's PRNG: seeds 0 and 1 sample
    // times only 0.0001 cycles apart, i.e. xorshift inputs ~179 apart, and the two choices
    // agree 83% of the time. We pin the exact (deterministic) counts instead.
    let p = fastcat(vec![
        rand_choice(0, vec![word("a"), word("b")]),
        rand_choice(1, vec![word("a"), word("b")]),
    ]);
    let evs = onsets(&p, 0, 1000);
    let mut counts = std::collections::HashMap::new();
    for pair in evs.chunks(2) {
        *counts
            .entry(format!("{}{}", pair[0].0, pair[1].0))
            .or_insert(0) += 1;
    }
    let get = |k: &str| counts.get(k).copied().unwrap_or(0);
    assert_eq!(
        (get("aa"), get("ab"), get("ba"), get("bb")),
        (410, 84, 89, 417)
    );
}

#[test]
fn rands_are_deterministic_and_in_range() {
    let a = time_to_rands(Time::new(7, 3), 5);
    assert_eq!(a, time_to_rands(Time::new(7, 3), 5));
    assert_eq!(a.len(), 5);
    assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
    assert_eq!(a[0], time_to_rand(Time::new(7, 3)));
}
