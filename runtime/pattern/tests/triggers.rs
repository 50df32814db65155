//! Triggers: integrator firing times computed by hand, timers and onsets, probabilistic
//! consumption, and the values `step` switches — identical whatever order windows are
//! asked in and whether checkpoints are cached or not.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{span, t};
use patter_pattern::trigger::{
    forget_checkpoints, Integrator, Listen, TrigPat, Trigger, TriggerKind, TriggerRef,
};
use patter_pattern::{Budget, Hap, Pat, PatRef, SignalKind, Time, Value};

fn integrator(
    signal: PatRef,
    rate_per_beat: i64,
    scale: f64,
    leak: f64,
    threshold: f64,
) -> TriggerRef {
    // Cycles of 4 beats, as in a program's default.
    Trigger::new(TriggerKind::Integrate(Integrator {
        signal,
        step: Time::new(1, rate_per_beat * 4),
        dt: 1.0 / rate_per_beat as f64,
        scale,
        leak,
        threshold,
        prob: 1.0,
        seed: 0,
    }))
}

fn instants(trig: &Trigger, end: Time) -> Vec<Time> {
    trig.instants(end, usize::MAX, &mut Budget::new(10_000_000))
        .unwrap()
}

fn sine() -> PatRef {
    Pat::Signal {
        kind: SignalKind::Sine,
        seed: 0,
    }
    .rc()
}

fn euclid(k: f64, n: f64) -> PatRef {
    Pat::Euclid {
        k: Pat::num(k),
        n: Pat::num(n),
        rot: Pat::num(0.0),
        pat: Pat::Pure(Value::Bool(true)).rc(),
        bool_gaps: false,
    }
    .rc()
}

#[test]
fn a_constant_integrated_once_a_beat_fires_every_threshold_beats() {
    // s = 1, 2, 3 after beats 1, 2, 3: the threshold 3 is reached at beat 3 (3/4 cycle),
    // then the state resets and the count starts again.
    let trig = integrator(Pat::num(1.0), 1, 1.0, 0.0, 3.0);
    assert_eq!(
        instants(&trig, Time::int(3)),
        vec![t(3, 4), t(3, 2), t(9, 4), t(3, 1)]
    );
    // Scale and rate: 0.5 per beat in steps of a quarter beat adds 0.125 a step, so the
    // threshold 1.5 takes 12 steps, 3 beats, whatever the grid.
    let fine = integrator(Pat::num(1.0), 4, 0.5, 0.0, 1.5);
    assert_eq!(instants(&fine, Time::int(2)), vec![t(3, 4), t(3, 2)]);
}

#[test]
fn a_leaky_integrator_of_a_sine_fires_where_the_hand_computation_says() {
    // The sine (one period a bar) read once a beat: 0.5, 1, 0.5, 0, … With a leak of 0.5
    // a beat, each beat s ← s + (x − 0.5·s) = 0.5·s + x:
    // 0.5, 1.25, 1.125, 0.5625, 0.78125, 1.390625 ≥ 1.3 → fires at beat 6, resets;
    // 0.5, 0.25, 0.625, 1.3125 → beat 10; the same again → beat 14.
    let trig = integrator(sine(), 1, 1.0, 0.5, 1.3);
    assert_eq!(
        instants(&trig, Time::int(4)),
        vec![t(6, 4), t(10, 4), t(14, 4)]
    );
    // Without the leak the state only grows: 0.5, 1.5 → fires at beat 2; then 0.5, 0,
    // 0.5, 1.5 → beat 6; and every four beats after.
    let pure = integrator(sine(), 1, 1.0, 0.0, 1.3);
    assert_eq!(
        instants(&pure, Time::int(3)),
        vec![t(2, 4), t(6, 4), t(10, 4)]
    );
}

#[test]
fn timers_and_onsets_fire_after_the_start() {
    let every = |p: i64, o: i64| {
        Trigger::new(TriggerKind::Every {
            period: Time::int(p),
            offset: Time::int(o),
        })
    };
    assert_eq!(
        instants(&every(2, 0), Time::int(7)),
        vec![t(2, 1), t(4, 1), t(6, 1)]
    );
    assert_eq!(
        instants(&every(2, 1), Time::int(7)),
        vec![t(3, 1), t(5, 1), t(7, 1)]
    );
    // The onset at 0 is the start itself, not a firing.
    let kicks = Trigger::new(TriggerKind::Onsets(euclid(3.0, 8.0)));
    assert_eq!(
        instants(&kicks, Time::int(2)),
        vec![t(3, 8), t(3, 4), t(1, 1), t(11, 8), t(7, 4), t(2, 1)]
    );
}

fn share(of: &TriggerRef, weights: &[f64], which: usize) -> TriggerRef {
    Trigger::new(TriggerKind::Share {
        weights: weights.to_vec(),
        which,
        seed: 99,
        of: of.clone(),
    })
}

#[test]
fn a_shared_trigger_goes_to_exactly_one_listener_by_weight() {
    let base = Trigger::new(TriggerKind::Onsets(euclid(16.0, 16.0)));
    let end = Time::int(64);
    let all = instants(&base, end);
    assert_eq!(all.len(), 1024);
    let a = instants(&share(&base, &[3.0, 1.0], 0), end);
    let b = instants(&share(&base, &[3.0, 1.0], 1), end);
    let mut both: Vec<Time> = a.iter().chain(b.iter()).copied().collect();
    both.sort();
    assert_eq!(both, all, "every instant is taken by exactly one listener");
    // 3 : 1 by weight; the exact split is fixed by the seed.
    assert_eq!((a.len(), b.len()), (775, 249));
    // Each listener with its own probability decides on its own.
    let half = |seed: u64| {
        Trigger::new(TriggerKind::Chance {
            prob: 0.5,
            seed,
            of: base.clone(),
        })
    };
    let (x, y) = (instants(&half(1), end), instants(&half(2), end));
    assert_eq!((x.len(), y.len()), (505, 521));
    let overlap = x.iter().filter(|t| y.contains(t)).count();
    assert_eq!(overlap, 252, "independent halves overlap about a quarter");
}

fn stepper(trig: &TriggerRef, quant: Time, items: Vec<PatRef>) -> Pat {
    Pat::Trig(Arc::new(TrigPat::Step {
        listen: Listen {
            trigger: trig.clone(),
            quant,
        },
        items,
        hold: false,
    }))
}

fn seq(words: &[&str]) -> PatRef {
    Pat::TimeCat(
        words
            .iter()
            .map(|w| (Time::ONE, Pat::Pure(Value::str(w)).rc()))
            .collect(),
    )
    .rc()
}

fn query(p: &Pat, b: Time, e: Time) -> Vec<Hap> {
    let mut out = Vec::new();
    p.query(span(b, e), &mut Budget::new(50_000_000), &mut out)
        .unwrap();
    out
}

fn onsets(haps: &[Hap]) -> Vec<(Time, String)> {
    let mut v: Vec<(Time, String)> = haps
        .iter()
        .filter(|h| h.has_onset())
        .map(|h| (h.onset(), format!("{:?}", h.value)))
        .collect();
    v.sort();
    v
}

#[test]
fn step_is_additive_and_independent_of_cached_checkpoints() {
    let trig = integrator(sine(), 4, 1.0, 0.25, 2.0);
    for quant in [Time::ZERO, Time::new(1, 4), Time::ONE] {
        let p = stepper(
            &trig,
            quant,
            vec![seq(&["a", "b"]), seq(&["c", "d", "e"]), seq(&["f"])],
        );
        forget_checkpoints();
        let whole = onsets(&query(&p, Time::ZERO, Time::int(24)));
        // Backwards, in uneven windows, with the checkpoints of the forward pass.
        let mut pieces = Vec::new();
        let cuts: Vec<Time> = (0..=24 * 3).map(|i| Time::new(i, 3)).collect();
        for w in cuts.windows(2).rev() {
            pieces.extend(query(&p, w[0], w[1]));
        }
        assert_eq!(onsets(&pieces), whole, "quant {quant:?}");
        // A fresh thread-local table far from the start gives the same values there.
        forget_checkpoints();
        let late = onsets(&query(&p, Time::int(20), Time::int(24)));
        let expected: Vec<_> = whole
            .iter()
            .filter(|(t, _)| *t >= Time::int(20))
            .cloned()
            .collect();
        assert_eq!(late, expected);
    }
}

#[test]
fn thinned_checkpoints_give_the_same_counts_far_from_the_start() {
    // 64 samples a beat: 256 a cycle, so 600 cycles are more steps than the table keeps
    // checkpoints for; it thins them and still answers exactly.
    let trig = integrator(sine(), 64, 1.0, 0.0, 8.0);
    forget_checkpoints();
    let far = instants(&trig, Time::int(600));
    let mut budget = Budget::new(100_000_000);
    let again = trig
        .instants(Time::int(600), usize::MAX, &mut budget)
        .unwrap();
    assert_eq!(far, again);
    // 0.5 on average per beat, 8 to fire: one firing every 16 beats, 4 cycles.
    assert_eq!(far.len(), 149);
    let p = stepper(
        &trig,
        Time::ZERO,
        vec![Pat::num(0.0), Pat::num(1.0), Pat::num(2.0)],
    );
    let probe = |at: Time| query(&p, at, at).first().map(|h| format!("{:?}", h.value));
    let count_at = |at: Time| far.iter().filter(|x| **x <= at).count() % 3;
    for at in [
        Time::int(599),
        Time::new(1001, 4),
        Time::int(3),
        Time::int(450),
    ] {
        assert_eq!(
            probe(at),
            Some(format!("{:?}", Value::Num(count_at(at) as f64)))
        );
    }
}

#[test]
fn a_runaway_integrator_overruns_its_budget_instead_of_hanging() {
    let trig = integrator(sine(), 256, 1.0, 0.0, 1.0);
    forget_checkpoints();
    let r = trig.instants(Time::int(1_000_000), usize::MAX, &mut Budget::new(100_000));
    assert!(r.is_err());
    let p = stepper(&trig, Time::ZERO, vec![Pat::num(0.0)]);
    let mut out = Vec::new();
    assert!(p
        .query(
            span(Time::int(999_999), Time::int(1_000_000)),
            &mut Budget::new(100_000),
            &mut out
        )
        .is_err());
}

mod additivity {
    use super::*;
    use proptest::prelude::*;

    fn trigger_of(kind: u8, a: u8, b: u8) -> TriggerRef {
        match kind % 3 {
            0 => integrator(
                sine(),
                1 + i64::from(a % 8),
                1.0,
                f64::from(b % 4) * 0.25,
                0.5 + f64::from(b % 7) * 0.5,
            ),
            1 => Trigger::new(TriggerKind::Onsets(euclid(
                f64::from(1 + a % 7),
                f64::from(8 + b % 5),
            ))),
            _ => Trigger::new(TriggerKind::Chance {
                prob: 0.6,
                seed: u64::from(a),
                of: Trigger::new(TriggerKind::Every {
                    period: Time::new(1 + i64::from(a % 3), 1 + i64::from(b % 4)),
                    offset: Time::new(i64::from(b % 3), 2),
                }),
            }),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// `query(a..c) == query(a..b) ++ query(b..c)` for values switched by any trigger
        /// at any quant, and a fresh table agrees with a used one (gates are sampled).
        #[test]
        fn step_and_gate_queries_tile(
            kind in 0u8..3, a in 0u8..255, b in 0u8..255,
            q in 0usize..4,
            cuts in proptest::collection::vec(1i64..96, 1..8),
        ) {
            let trig = trigger_of(kind, a, b);
            let quant = [Time::ZERO, Time::new(1, 4), Time::new(1, 3), Time::ONE][q];
            let step = stepper(&trig, quant, vec![seq(&["a", "b", "c"]), seq(&["d"])]);
            let gate = Pat::Trig(Arc::new(TrigPat::Gate {
                start: Some(Listen { trigger: trig.clone(), quant }),
                stop: Some(Listen { trigger: trigger_of(kind + 1, b, a), quant }),
            }));
            forget_checkpoints();
            let whole = onsets(&query(&step, Time::ZERO, Time::int(12)));
            let mut points: Vec<Time> = cuts.iter().map(|c| Time::new(*c, 8)).collect();
            points.push(Time::ZERO);
            points.push(Time::int(12));
            points.sort();
            points.dedup();
            let mut pieces = Vec::new();
            for w in points.windows(2).rev() {
                pieces.extend(query(&step, w[0], w[1]));
            }
            prop_assert_eq!(onsets(&pieces), whole);
            // The gate is sampled: the same values with used and fresh tables.
            let sample = |at: Time| query(&gate, at, at).first().map(|h| format!("{:?}", h.value));
            let grid: Vec<Time> = (0..96).map(|i| Time::new(i, 8)).collect();
            let used: Vec<_> = grid.iter().rev().map(|t| sample(*t)).collect();
            forget_checkpoints();
            let fresh: Vec<_> = grid.iter().rev().map(|t| sample(*t)).collect();
            prop_assert_eq!(used, fresh);
        }
    }
}
