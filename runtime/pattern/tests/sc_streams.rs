//! Stream semantics: SuperCollider list patterns as pure functions of the event index.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use patter_pattern::{BinOp, Budget, Stream, StreamCtx, StreamMemo, StreamRef, Time, UnOp, Value};

fn n(x: f64) -> StreamRef {
    Stream::num(x)
}

fn nums(xs: &[f64]) -> Vec<StreamRef> {
    xs.iter().map(|&x| n(x)).collect()
}

fn seq(items: Vec<StreamRef>, repeats: Option<u64>) -> StreamRef {
    Stream::Seq {
        items,
        repeats,
        offset: 0,
    }
    .rc()
}

fn at(s: &Stream, i: u64) -> Option<Value> {
    s.at(StreamCtx {
        index: i,
        cycle: Time::ZERO,
    })
}

fn num_at(s: &Stream, i: u64) -> Option<f64> {
    at(s, i).map(|v| v.as_num().unwrap())
}

fn take(s: &Stream, count: u64) -> Vec<Option<f64>> {
    (0..count).map(|i| num_at(s, i)).collect()
}

fn some(xs: &[f64]) -> Vec<Option<f64>> {
    xs.iter().map(|&x| Some(x)).collect()
}

/// Values at 0..count asked in increasing order through one memo, then in reverse with a
/// fresh memo each time: memo checkpoints must not change anything.
fn same_any_order(s: &Stream, count: u64) -> Vec<Option<Value>> {
    let mut memo = StreamMemo::new();
    let forward: Vec<_> = (0..count)
        .map(|i| {
            let ctx = StreamCtx {
                index: i,
                cycle: Time::ZERO,
            };
            s.at_with(ctx, 7, &mut memo, &mut Budget::new(1 << 20))
                .unwrap()
        })
        .collect();
    let mut backward: Vec<_> = (0..count)
        .rev()
        .map(|i| {
            let ctx = StreamCtx {
                index: i,
                cycle: Time::ZERO,
            };
            s.at_with(ctx, 7, &mut StreamMemo::new(), &mut Budget::new(1 << 20))
                .unwrap()
        })
        .collect();
    backward.reverse();
    assert_eq!(forward, backward);
    forward
}

#[test]
fn constants_last_forever() {
    let s = Stream::Const(Value::Num(3.0));
    assert_eq!(s.len(), None);
    assert_eq!(num_at(&s, 0), Some(3.0));
    assert_eq!(num_at(&s, 1_000_000_000), Some(3.0));
}

#[test]
fn pseq_plays_items_then_ends() {
    let s = seq(nums(&[1., 2., 3.]), Some(2));
    assert_eq!(s.len(), Some(6));
    assert_eq!(
        take(&s, 7),
        vec![
            Some(1.),
            Some(2.),
            Some(3.),
            Some(1.),
            Some(2.),
            Some(3.),
            None
        ]
    );
}

#[test]
fn pseq_offset_wraps() {
    let s = Stream::Seq {
        items: nums(&[1., 2., 3.]),
        repeats: Some(1),
        offset: 4,
    };
    assert_eq!(take(&s, 3), some(&[2., 3., 1.]));
    let s = Stream::Seq {
        items: nums(&[1., 2., 3.]),
        repeats: Some(1),
        offset: -1,
    };
    assert_eq!(take(&s, 3), some(&[3., 1., 2.]));
}

#[test]
fn nested_patterns_are_embedded_to_completion() {
    let inner = seq(nums(&[10., 11.]), Some(2));
    let s = seq(vec![n(1.), inner, n(2.)], None);
    assert_eq!(s.len(), None);
    assert_eq!(take(&s, 8), some(&[1., 10., 11., 10., 11., 2., 1., 10.]));
    assert_eq!(num_at(&s, 6 * 1_000_000 + 3), Some(10.0));
    assert_eq!(num_at(&s, 6 * 1_000_000 + 4), Some(11.0));
}

#[test]
fn infinite_item_never_ends() {
    let white = Stream::White {
        lo: n(0.),
        hi: n(1.),
        length: None,
        seed: 1,
    }
    .rc();
    let s = seq(vec![n(5.), white, n(2.)], Some(1));
    assert_eq!(s.len(), None);
    assert_eq!(num_at(&s, 0), Some(5.0));
    let x = num_at(&s, 1000).unwrap();
    assert!((0.0..=1.0).contains(&x));
}

#[test]
fn empty_sequences_end_at_once() {
    let s = seq(vec![], None);
    assert_eq!(s.len(), Some(0));
    assert_eq!(at(&s, 0), None);
    let s = seq(vec![seq(vec![], Some(3))], None);
    assert_eq!(s.len(), Some(0));
    assert_eq!(at(&s, 5), None);
}

#[test]
fn prand_picks_items_and_is_deterministic() {
    let s = Stream::Rand {
        items: nums(&[1., 2., 3.]),
        repeats: Some(50),
        seed: 9,
    };
    assert_eq!(s.len(), Some(50));
    let vs = same_any_order(&s, 51);
    assert_eq!(vs[50], None);
    let picked: Vec<f64> = vs[..50]
        .iter()
        .map(|v| v.as_ref().unwrap().as_num().unwrap())
        .collect();
    assert!(picked.iter().all(|x| [1., 2., 3.].contains(x)));
    for x in [1., 2., 3.] {
        assert!(picked.contains(&x), "50 picks should hit every item");
    }
    let other = Stream::Rand {
        items: nums(&[1., 2., 3.]),
        repeats: Some(50),
        seed: 10,
    };
    assert_ne!(take(&s, 50), take(&other, 50));
}

#[test]
fn prand_embeds_items_of_unequal_length() {
    let long = seq(nums(&[10., 11., 12.]), Some(1));
    let s = Stream::Rand {
        items: vec![n(1.), long],
        repeats: Some(20),
        seed: 3,
    };
    let len = s.len_with(7, &mut Budget::new(1 << 20)).unwrap().unwrap();
    assert!((20..=60).contains(&len));
    assert!(len > 20 && len < 60, "both items picked");
    let vs = same_any_order(&s, len + 1);
    assert_eq!(vs[len as usize], None);
    // Every 10 is followed by 11 and 12: picks are played whole.
    let xs: Vec<f64> = vs[..len as usize]
        .iter()
        .map(|v| v.as_ref().unwrap().as_num().unwrap())
        .collect();
    for (i, x) in xs.iter().enumerate() {
        if *x == 10.0 {
            assert_eq!(xs.get(i + 1..i + 3), Some(&[11.0, 12.0][..]));
        }
    }
}

#[test]
fn pxrand_never_repeats() {
    let s = Stream::XRand {
        items: nums(&[1., 2., 3.]),
        repeats: None,
        seed: 4,
    };
    let vs = same_any_order(&s, 300);
    for w in vs.windows(2) {
        assert_ne!(w[0], w[1]);
    }
    let two = Stream::XRand {
        items: nums(&[1., 2.]),
        repeats: Some(4),
        seed: 4,
    };
    let xs = take(&two, 5);
    assert_eq!(xs[4], None);
    assert_ne!(xs[0], xs[1]);
    assert_eq!(xs[0], xs[2]);
}

#[test]
fn pshuf_repeats_one_order() {
    let s = Stream::Shuf {
        items: nums(&[1., 2., 3., 4., 5.]),
        repeats: Some(3),
        seed: 11,
    };
    assert_eq!(s.len(), Some(15));
    let xs = take(&s, 16);
    assert_eq!(xs[15], None);
    let first: Vec<_> = xs[..5].to_vec();
    assert_eq!(&xs[5..10], &first[..]);
    assert_eq!(&xs[10..15], &first[..]);
    let mut sorted: Vec<f64> = first.iter().map(|x| x.unwrap()).collect();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted, vec![1., 2., 3., 4., 5.]);
}

#[test]
fn pwrand_normalises_weights() {
    let s = Stream::WRand {
        items: nums(&[1., 2., 3.]),
        weights: vec![3.0, 0.0, 1.0],
        repeats: None,
        seed: 5,
    };
    let xs: Vec<f64> = take(&s, 2000).into_iter().map(|x| x.unwrap()).collect();
    assert!(!xs.contains(&2.0));
    let ones = xs.iter().filter(|&&x| x == 1.0).count();
    assert!((1300..1700).contains(&ones), "about 3/4 ones, got {ones}");
}

#[test]
fn pwhite_and_pexprand_stay_in_range() {
    let w = Stream::White {
        lo: n(2.),
        hi: n(5.),
        length: Some(100),
        seed: 1,
    };
    assert_eq!(w.len(), Some(100));
    let xs = take(&w, 101);
    assert_eq!(xs[100], None);
    assert!(xs[..100].iter().all(|x| (2.0..=5.0).contains(&x.unwrap())));
    let e = Stream::ExpRand {
        lo: n(100.),
        hi: n(1000.),
        length: None,
        seed: 1,
    };
    let xs = take(&e, 200);
    assert!(xs.iter().all(|x| (100.0..=1000.0).contains(&x.unwrap())));
    let bad = Stream::ExpRand {
        lo: n(0.),
        hi: n(1.),
        length: None,
        seed: 1,
    };
    assert_eq!(at(&bad, 0), Some(Value::Rest));
}

#[test]
fn pbrown_walks_within_bounds() {
    let s = Stream::Brown {
        lo: n(0.),
        hi: n(10.),
        step: n(1.),
        length: None,
        seed: 2,
    };
    let vs = same_any_order(&s, 400);
    let xs: Vec<f64> = vs
        .iter()
        .map(|v| v.as_ref().unwrap().as_num().unwrap())
        .collect();
    assert!(xs.iter().all(|x| (0.0..=10.0).contains(x)));
    for w in xs.windows(2) {
        // A fold can only shorten a step.
        assert!((w[1] - w[0]).abs() <= 1.0 + 1e-9);
    }
    // Far indices without a memo agree with the sequential walk.
    let ctx = StreamCtx {
        index: 399,
        cycle: Time::ZERO,
    };
    let far = s
        .at_with(ctx, 7, &mut StreamMemo::new(), &mut Budget::new(1 << 20))
        .unwrap();
    assert_eq!(far, Some(Value::Num(xs[399])));
}

#[test]
fn pseries_and_pgeom() {
    let s = Stream::Series {
        start: n(3.),
        step: n(2.),
        length: Some(4),
    };
    assert_eq!(s.len(), Some(4));
    assert_eq!(
        take(&s, 5),
        vec![Some(3.), Some(5.), Some(7.), Some(9.), None]
    );
    let g = Stream::Geom {
        start: n(1.),
        grow: n(2.),
        length: None,
    };
    assert_eq!(take(&g, 5), some(&[1., 2., 4., 8., 16.]));
    // A stream step: the series ends when the step stream does.
    let s = Stream::Series {
        start: n(0.),
        step: seq(nums(&[1., 10.]), Some(2)),
        length: None,
    };
    assert_eq!(s.len(), Some(4));
    let vs = same_any_order(&s, 5);
    let xs: Vec<Option<f64>> = vs
        .iter()
        .map(|v| v.as_ref().map(|v| v.as_num().unwrap()))
        .collect();
    assert_eq!(xs, vec![Some(0.), Some(1.), Some(11.), Some(12.), None]);
}

#[test]
fn pn_repeats_its_pattern() {
    let s = Stream::Repeat {
        stream: seq(nums(&[1., 2.]), Some(1)),
        repeats: Some(3),
    };
    assert_eq!(s.len(), Some(6));
    assert_eq!(
        take(&s, 7),
        vec![
            Some(1.),
            Some(2.),
            Some(1.),
            Some(2.),
            Some(1.),
            Some(2.),
            None
        ]
    );
    let lit = Stream::Repeat {
        stream: n(7.),
        repeats: Some(2),
    };
    assert_eq!(take(&lit, 3), vec![Some(7.), Some(7.), None]);
    // Each repeat of a random pattern is a fresh stream.
    let r = Stream::Repeat {
        stream: Stream::Rand {
            items: nums(&[1., 2., 3., 4., 5., 6., 7., 8.]),
            repeats: Some(8),
            seed: 1,
        }
        .rc(),
        repeats: None,
    };
    assert_ne!(
        take(&r, 8),
        (8..16).map(|i| num_at(&r, i)).collect::<Vec<_>>()
    );
}

#[test]
fn chords_evaluate_parts_at_the_same_index() {
    let s = Stream::Chord(vec![seq(nums(&[0., 1.]), Some(1)), n(7.)]);
    assert_eq!(s.len(), Some(2));
    assert_eq!(
        at(&s, 1),
        Some(Value::Chord(Arc::from(vec![
            Value::Num(1.),
            Value::Num(7.)
        ])))
    );
    assert_eq!(at(&s, 2), None);
}

#[test]
fn operators() {
    let s = Stream::Bin {
        op: BinOp::Add,
        left: seq(nums(&[1., 2.]), Some(1)),
        right: n(10.),
    };
    assert_eq!(s.len(), Some(2));
    assert_eq!(take(&s, 3), vec![Some(11.), Some(12.), None]);
    let div = Stream::Bin {
        op: BinOp::Div,
        left: n(1.),
        right: n(0.),
    };
    assert_eq!(at(&div, 0), Some(Value::Rest));
    let word = Stream::Bin {
        op: BinOp::Mul,
        left: Stream::Const(Value::str("bd")).rc(),
        right: n(2.),
    };
    assert_eq!(at(&word, 0), Some(Value::Rest));
    let m = Stream::Bin {
        op: BinOp::Mod,
        left: n(-1.),
        right: n(3.),
    };
    assert_eq!(num_at(&m, 0), Some(2.0));
    let neg = Stream::Un {
        op: UnOp::Neg,
        stream: n(3.),
    };
    assert_eq!(num_at(&neg, 0), Some(-3.0));
    let recip = Stream::Un {
        op: UnOp::Recip,
        stream: n(0.),
    };
    assert_eq!(at(&recip, 0), Some(Value::Rest));
    let chord = Stream::Bin {
        op: BinOp::Add,
        left: Stream::Const(Value::Chord(Arc::from(vec![
            Value::Num(0.),
            Value::Num(4.),
        ])))
        .rc(),
        right: n(1.),
    };
    assert_eq!(
        at(&chord, 0),
        Some(Value::Chord(Arc::from(vec![
            Value::Num(1.),
            Value::Num(5.)
        ])))
    );
}

#[test]
fn budget_bounds_runaway_streams() {
    // A forever-repeating list of empty lists has no values; evaluation must stop.
    let s = Stream::Repeat {
        stream: Stream::Rand {
            items: vec![seq(vec![], Some(1)), seq(nums(&[1.]), Some(0))],
            repeats: Some(1),
            seed: 0,
        }
        .rc(),
        repeats: None,
    };
    let ctx = StreamCtx {
        index: 0,
        cycle: Time::ZERO,
    };
    let r = s.at_with(ctx, 0, &mut StreamMemo::new(), &mut Budget::new(10_000));
    assert!(r.is_err() || r == Ok(None));
}

#[test]
fn extreme_indices_do_not_panic() {
    let streams: Vec<Stream> = vec![
        Stream::Brown {
            lo: n(0.),
            hi: n(1.),
            step: n(0.1),
            length: None,
            seed: 1,
        },
        Stream::Series {
            start: n(0.),
            step: n(1.),
            length: None,
        },
        Stream::XRand {
            items: nums(&[1., 2.]),
            repeats: None,
            seed: 1,
        },
        Stream::Repeat {
            stream: seq(nums(&[1., 2.]), Some(1)),
            repeats: None,
        },
        Stream::Seq {
            items: nums(&[1., 2.]),
            repeats: None,
            offset: i64::MIN,
        },
    ];
    for s in &streams {
        for i in [u64::MAX, u64::MAX - 1, 1 << 40] {
            let _ = at(s, i);
        }
    }
}

#[test]
fn cycle_patterns_are_sampled_at_the_onset() {
    use patter_pattern::{build, SignalKind};
    let at_cycle = |s: &Stream, c: Time| s.at(StreamCtx { index: 0, cycle: c });
    let ab = Stream::Cycle(build::seq_words(&["a", "b"]));
    assert_eq!(at_cycle(&ab, Time::ZERO), Some(Value::str("a")));
    assert_eq!(at_cycle(&ab, Time::new(1, 2)), Some(Value::str("b")));
    assert_eq!(at_cycle(&ab, Time::new(7, 4)), Some(Value::str("b")));
    assert_eq!(ab.len(), None);
    // Several values at once make a chord; none a rest.
    let stack = Stream::Cycle(build::stack(vec![build::num(0.), build::num(4.)]));
    assert_eq!(
        at_cycle(&stack, Time::new(1, 3)),
        Some(Value::Chord(Arc::from(vec![
            Value::Num(0.),
            Value::Num(4.)
        ])))
    );
    let silent = Stream::Cycle(build::silence());
    assert_eq!(at_cycle(&silent, Time::ZERO), Some(Value::Rest));
    // Continuous signals give their value at the onset.
    let saw = Stream::Cycle(build::signal(SignalKind::Saw, 0));
    let x = at_cycle(&saw, Time::new(1, 4)).unwrap().as_num().unwrap();
    assert!((x - 0.25).abs() < 1e-9);
    // Inside a list, a cycle pattern is one item.
    let s = seq(
        vec![Stream::Cycle(build::seq_nums(&[1., 2.])).rc(), n(9.)],
        None,
    );
    assert_eq!(num_at(&s, 0), Some(1.0));
    assert_eq!(num_at(&s, 1), Some(9.0));
}

#[test]
fn shared_nodes_cannot_blow_up_evaluation() {
    // Each level uses the previous one twice: a DAG of 60 nodes, a tree of 2^60.
    let mut s = n(1.);
    let mut b = n(1.);
    for _ in 0..60 {
        s = seq(vec![s.clone(), s.clone()], Some(1));
        b = Stream::Bin {
            op: BinOp::Add,
            left: b.clone(),
            right: b.clone(),
        }
        .rc();
    }
    let ctx = StreamCtx {
        index: 3,
        cycle: Time::ZERO,
    };
    let _ = s.at_with(ctx, 0, &mut StreamMemo::new(), &mut Budget::new(100_000));
    let _ = s.len_with(0, &mut Budget::new(100_000));
    let _ = b.at_with(ctx, 0, &mut StreamMemo::new(), &mut Budget::new(100_000));
    let _ = b.len_with(0, &mut Budget::new(100_000));
}
