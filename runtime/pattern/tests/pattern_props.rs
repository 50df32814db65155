//! Property tests of the query engine: additivity under any tiling, `fast r . slow r`,
//! replication, and zero-width sampling, over random pattern trees.
#![allow(clippy::unwrap_used)]

mod common;

use common::gen::tree;
use patter_pattern::build::*;
use patter_pattern::{Budget, Hap, Overrun, Pat, Time, TimeSpan};
use proptest::prelude::*;

const BUDGET: u64 = 2_000_000;

fn run(p: &Pat, b: Time, e: Time) -> Result<Vec<Hap>, Overrun> {
    let mut out = Vec::new();
    p.query(TimeSpan::new(b, e), &mut Budget::new(BUDGET), &mut out)?;
    Ok(out)
}

fn key(h: &Hap) -> String {
    format!("{:?} {:?} {}", h.whole, h.value, h.gain)
}

fn onset_keys(haps: &[Hap]) -> Vec<String> {
    let mut v: Vec<String> = haps.iter().filter(|h| h.has_onset()).map(key).collect();
    v.sort();
    v
}

fn split_points() -> impl Strategy<Value = Vec<Time>> {
    prop::collection::vec(
        (1..96i64, prop_oneof![Just(24i64), Just(7), Just(10)]),
        0..8,
    )
    .prop_map(|v| {
        let mut ts: Vec<Time> = v
            .into_iter()
            .map(|(n, d)| Time::new(n, d))
            .filter(|t| *t < Time::int(4))
            .collect();
        ts.sort();
        ts.dedup();
        ts
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn onsets_are_reported_exactly_once_under_any_tiling(p in tree(), cuts in split_points()) {
        let Ok(whole) = run(&p, Time::ZERO, Time::int(4)) else { return Ok(()) };
        let mut tiled = Vec::new();
        let mut at = Time::ZERO;
        for c in cuts.into_iter().chain([Time::int(4)]) {
            let Ok(part) = run(&p, at, c) else { return Ok(()) };
            tiled.extend(part);
            at = c;
        }
        prop_assert_eq!(onset_keys(&whole), onset_keys(&tiled));
        // Every fragment lies inside the query span.
        for h in &whole {
            prop_assert!(h.part.begin >= Time::ZERO && h.part.end <= Time::int(4));
            prop_assert!(h.part.begin <= h.part.end);
        }
    }

    #[test]
    fn fast_undoes_slow(p in tree(), r in prop_oneof![Just(Time::int(2)), Just(Time::new(3, 2)), Just(Time::int(5)), Just(Time::new(1, 3))]) {
        let q = fast(r, slow(r, p.clone()));
        let (Ok(a), Ok(b)) = (run(&p, Time::ZERO, Time::int(3)), run(&q, Time::ZERO, Time::int(3))) else {
            return Ok(());
        };
        prop_assert_eq!(onset_keys(&a), onset_keys(&b));
    }

    #[test]
    fn replication_plays_the_cycle_in_every_copy(p in tree(), n in 1..5i64, c in 0..4i64) {
        // x!n == n copies of x: each copy plays cycle c of x squeezed into its step.
        let copies = fastcat(vec![p.clone(); n as usize]);
        let (cb, ce) = (Time::int(c), Time::int(c + 1));
        let (Ok(rep), Ok(orig)) = (run(&copies, cb, ce), run(&p, cb, ce)) else { return Ok(()) };
        let inside = |h: &Hap, lo: Time, hi: Time| {
            h.has_onset() && h.whole.is_some_and(|w| w.begin >= lo && w.end <= hi)
        };
        let mut want = Vec::new();
        let step = Time::new(1, n);
        for i in 0..n {
            for h in orig.iter().filter(|h| inside(h, cb, ce)) {
                let w = h.whole.unwrap();
                let m = |t: Time| cb + (Time::int(i) + (t - cb)) * step;
                want.push(format!("{:?} {:?}", TimeSpan::new(m(w.begin), m(w.end)), h.value));
            }
        }
        let mut got: Vec<String> = rep
            .iter()
            .filter(|h| {
                let w = h.whole.unwrap_or(h.part);
                let i = ((w.begin - cb) * Time::int(n)).floor_int();
                inside(h, cb + step * Time::int(i), cb + step * Time::int(i + 1))
            })
            .map(|h| format!("{:?} {:?}", h.whole.unwrap(), h.value))
            .collect();
        want.sort();
        got.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn zero_width_queries_sample_what_is_active(p in tree(), n in 0..96i64) {
        let t = Time::new(n, 24);
        let eps = Time::new(1, 1_000_003);
        let (Ok(point), Ok(tiny)) = (run(&p, t, t), run(&p, t, t + eps)) else { return Ok(()) };
        let mut a: Vec<String> = point.iter().map(key).collect();
        let mut b: Vec<String> = tiny.iter().filter(|h| h.part.begin == t).map(key).collect();
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
        for h in &point {
            prop_assert_eq!(h.part, TimeSpan::new(t, t));
        }
    }
}
