//! Zero-width queries `[t, t]` sample what is active at `t` (the SC-model side samples
//! cycle patterns at event onsets this way).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use patter_pattern::build::*;
use patter_pattern::{BinOp, Pat, SignalKind, Time, TimeSpan};

fn at(p: &Pat, t: Time) -> Vec<(String, TimeSpan)> {
    let mut v: Vec<_> = query(p, t, t)
        .into_iter()
        .map(|h| {
            assert_eq!(h.part, TimeSpan::new(t, t));
            (show(&h.value), h.whole.unwrap_or(h.part))
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn pure_and_sequences() {
    assert_eq!(
        at(&word("a"), t(1, 2)),
        vec![("a".into(), span(t(0, 1), t(1, 1)))]
    );
    assert_eq!(
        at(&word("a"), t(1, 1)),
        vec![("a".into(), span(t(1, 1), t(2, 1)))]
    );
    let p = seq_words(&["a", "b", "c"]);
    assert_eq!(at(&p, t(0, 1))[0].0, "a");
    assert_eq!(at(&p, t(1, 3)), vec![("b".into(), span(t(1, 3), t(2, 3)))]);
    assert_eq!(at(&p, t(1, 2))[0].0, "b");
    assert_eq!(at(&p, t(2, 3))[0].0, "c");
    assert_eq!(at(&p, t(7, 3))[0].0, "b");
    let p = timecat(vec![(t(3, 1), word("a")), (t(1, 1), word("b"))]);
    assert_eq!(at(&p, t(3, 4))[0].0, "b");
    assert_eq!(at(&p, t(74, 100))[0].0, "a");
    // Rests sample nothing.
    assert!(at(&seq_words(&["a", "~"]), t(1, 2)).is_empty());
}

#[test]
fn transformed_patterns() {
    let p = slow(t(2, 1), word("a"));
    assert_eq!(at(&p, t(1, 1)), vec![("a".into(), span(t(0, 1), t(2, 1)))]);
    let p = slowcat(vec![word("a"), word("b")]);
    assert_eq!(at(&p, t(1, 1))[0].0, "b");
    assert_eq!(at(&p, t(5, 2))[0].0, "a");
    let p = early(t(1, 4), seq_words(&["a", "b"]));
    assert_eq!(at(&p, t(1, 4))[0].0, "b");
    let p = euclid(3, 8, 0, word("a"));
    assert_eq!(at(&p, t(3, 8)), vec![("a".into(), span(t(3, 8), t(1, 2)))]);
    assert!(at(&p, t(1, 8)).is_empty());
    let p = stack(vec![word("a"), seq_words(&["b", "c"])]);
    let vals: Vec<String> = at(&p, t(1, 2)).into_iter().map(|x| x.0).collect();
    assert_eq!(vals, vec!["a", "c"]);
    let p = app(BinOp::Add, seq_nums(&[0.0, 1.0]), seq_nums(&[10.0, 20.0]));
    assert_eq!(at(&p, t(1, 2))[0].0, "21");
    assert_eq!(at(&p, t(3, 4))[0].0, "21");
}

#[test]
fn rev_samples_what_is_really_active() {
    // Tidal would reflect [0, 0] to [1, 1] and answer "a"; the event active at 0 is "b".
    let p = rev(seq_words(&["a", "b"]));
    assert_eq!(at(&p, t(0, 1)), vec![("b".into(), span(t(0, 1), t(1, 2)))]);
    assert_eq!(at(&p, t(1, 2)), vec![("a".into(), span(t(1, 2), t(1, 1)))]);
    assert_eq!(at(&p, t(3, 1))[0].0, "b");
    let p = fast(t(-2, 1), seq_words(&["a", "b"]));
    assert_eq!(at(&p, t(1, 4))[0].0, "a");
    let sig = rev(signal(SignalKind::Saw, 0));
    let v = query(&sig, t(1, 4), t(1, 4));
    assert_eq!(v.len(), 1);
    assert_eq!(show(&v[0].value), "0.75");
}

#[test]
fn signals_sample_the_point() {
    let v = query(&signal(SignalKind::Saw, 0), t(1, 4), t(1, 4));
    assert_eq!(v.len(), 1);
    assert!(v[0].whole.is_none());
    assert_eq!(show(&v[0].value), "0.25");
    // Non-zero spans are sampled at their midpoint, like Tidal's `sig`.
    let v = query(&signal(SignalKind::Saw, 0), t(0, 1), t(1, 2));
    assert_eq!(show(&v[0].value), "0.25");
    let v = query(&signal(SignalKind::Sine, 0), t(1, 4), t(1, 4));
    assert_eq!(show(&v[0].value), "1");
    // Tidal's cosine is `0.25 ~> sine`: a quarter cycle *later*, so 0 at time 0.
    let v = query(&signal(SignalKind::Cosine, 0), t(0, 1), t(0, 1));
    assert_eq!(show(&v[0].value), "0");
    let v = query(&signal(SignalKind::Cosine, 0), t(1, 2), t(1, 2));
    assert_eq!(show(&v[0].value), "1");
    let v = query(&signal(SignalKind::Square, 0), t(3, 4), t(3, 4));
    assert_eq!(show(&v[0].value), "1");
    let v = query(&signal(SignalKind::ISaw, 0), t(1, 4), t(1, 4));
    assert_eq!(show(&v[0].value), "0.75");
    let v = query(&signal(SignalKind::Tri, 0), t(1, 4), t(1, 4));
    assert_eq!(show(&v[0].value), "0.5");
    let v = query(&signal(SignalKind::Tri, 0), t(3, 4), t(3, 4));
    assert_eq!(show(&v[0].value), "0.5");
    // tri over a whole cycle splits at the half, as Tidal's fastcat [saw, isaw] does.
    let v = query(&signal(SignalKind::Tri, 0), t(0, 1), t(1, 1));
    assert_eq!(v.len(), 2);
    // rand is Tidal's timeToRand at the point; perlin passes through it at integers.
    let v = query(&signal(SignalKind::Rand, 0), t(3, 1), t(3, 1));
    assert!(show(&v[0].value).starts_with("0.8026"));
    let v = query(&signal(SignalKind::Perlin, 0), t(3, 1), t(3, 1));
    assert!(show(&v[0].value).starts_with("0.8026"));
    let v = query(&signal(SignalKind::Perlin, 0), t(7, 2), t(7, 2));
    let x = v[0].value.as_num().unwrap();
    assert!(x > 0.0 && x < 1.0);
}
