//! Random pattern trees for property tests: numeric leaves, every node kind except
//! continuous signals (which have no onsets), bounded size.

use proptest::prelude::*;

use patter_pattern::build::*;
use patter_pattern::{ArpMode, BinOp, Pat, PatRef, Time, UnOp};

fn factor() -> impl Strategy<Value = PatRef> {
    prop_oneof![
        Just(num(2.0)),
        Just(num(0.5)),
        Just(num(1.5)),
        Just(num(3.0)),
        Just(num(-1.0)),
        Just(num(0.0)),
        Just(slowcat(vec![num(2.0), num(1.0 / 3.0)])),
        Just(seq_nums(&[1.0, 2.0])),
    ]
}

fn shift() -> impl Strategy<Value = Time> {
    prop_oneof![
        Just(Time::new(1, 4)),
        Just(Time::new(-1, 3)),
        Just(Time::new(5, 2)),
        Just(Time::ZERO),
    ]
}

pub fn leaf() -> impl Strategy<Value = PatRef> {
    prop_oneof![
        6 => (0..6i32).prop_map(|x| num(x as f64)),
        1 => Just(silence()),
        1 => (0..3i32, 0..5i32).prop_map(|(a, b)| range(num(a as f64), num(b as f64))),
    ]
}

pub fn tree() -> impl Strategy<Value = PatRef> {
    leaf().prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(stack),
            prop::collection::vec((1..4i64, inner.clone()), 1..5)
                .prop_map(|v| { timecat(v.into_iter().map(|(w, p)| (Time::int(w), p)).collect()) }),
            prop::collection::vec(inner.clone(), 1..4).prop_map(fastcat),
            prop::collection::vec(inner.clone(), 1..4).prop_map(slowcat),
            (factor(), inner.clone()).prop_map(|(f, p)| fast_p(f, p)),
            (shift(), inner.clone()).prop_map(|(t, p)| early(t, p)),
            inner.clone().prop_map(rev),
            (-4..7i64, 0..9i64, 0..4i64, inner.clone()).prop_map(|(k, n, r, p)| euclid(k, n, r, p)),
            (0..3u32, any::<bool>(), inner.clone()).prop_map(|(s, inv, p)| {
                if inv {
                    undegrade_by(0.5, s, p)
                } else {
                    degrade_by(0.5, s, p)
                }
            }),
            (0..3u32, prop::collection::vec(inner.clone(), 1..3))
                .prop_map(|(s, o)| rand_choice(s, o)),
            (1..4i64, 0..3i64, inner.clone(), inner.clone())
                .prop_map(|(n, o, a, b)| every(n, o, a, b)),
            inner.clone().prop_map(|p| {
                Pat::OnsetWithin {
                    begin: Time::new(1, 4),
                    end: Time::new(3, 4),
                    invert: false,
                    pat: p,
                }
                .rc()
            }),
            (prop_oneof![Just(2i64), Just(3)], inner.clone())
                .prop_map(|(n, p)| ply(Time::int(n), p)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| app(BinOp::Add, a, b)),
            inner.clone().prop_map(|p| map(UnOp::Neg, p)),
            (inner.clone(), inner.clone())
                .prop_map(|(m, p)| structure(app(BinOp::Gt, m, num(2.0)), p)),
            (inner.clone(), inner.clone()).prop_map(|(m, p)| mask(app(BinOp::Lt, m, num(3.0)), p)),
            inner.clone().prop_map(|p| arp(ArpMode::UpDown, p)),
        ]
    })
}
