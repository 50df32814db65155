//! Runaway patterns stop with `Overrun` quickly and without allocating much.
#![allow(clippy::unwrap_used)]

use patter_pattern::build::*;
use patter_pattern::{Budget, Overrun, Pat, PatRef, Time, TimeSpan};

fn run(p: &Pat, steps: u64) -> Result<usize, Overrun> {
    let mut out = Vec::new();
    p.query(
        TimeSpan::new(Time::ZERO, Time::ONE),
        &mut Budget::new(steps),
        &mut out,
    )?;
    Ok(out.len())
}

#[test]
fn huge_fast_overruns() {
    assert_eq!(
        run(&fast(Time::int(1_000_000_000), word("a")), 100_000),
        Err(Overrun)
    );
    assert_eq!(run(&fast_p(num(1e18), word("a")), 100_000), Err(Overrun));
    assert_eq!(run(&fast_p(num(1e300), word("a")), 100_000), Err(Overrun));
    assert_eq!(
        run(
            &fast(Time::int(1_000_000_000), seq_words(&["a", "b"])),
            100_000
        ),
        Err(Overrun)
    );
    assert_eq!(
        run(
            &fast(Time::int(1_000_000), euclid(3, 60_000, 0, word("a"))),
            100_000
        ),
        Err(Overrun)
    );
}

#[test]
fn deep_nesting_overruns() {
    let mut p: PatRef = seq_words(&["a", "b", "c"]);
    for _ in 0..40 {
        p = fast(Time::int(10), p);
    }
    assert_eq!(run(&p, 1_000_000), Err(Overrun));
}

#[test]
fn deep_binary_nesting_overruns() {
    let mut p: PatRef = word("a");
    for _ in 0..200 {
        p = fastcat(vec![p.clone(), p]);
    }
    assert_eq!(run(&p, 1_000_000), Err(Overrun));
}

#[test]
fn tiny_slowness_and_extreme_times_do_not_panic() {
    let p = slow(Time::int(1_000_000_000), seq_words(&["a", "b"]));
    assert!(run(&p, 1000).is_ok());
    let p = early(Time::new(i64::MAX, 1), word("a"));
    let _ = run(&p, 1000);
    let p = fast_p(num(f64::NAN), word("a"));
    assert_eq!(run(&p, 1000), Ok(0));
    let mut out = Vec::new();
    let far = TimeSpan::new(Time::new(i64::MAX - 2, 1), Time::new(i64::MAX, 1));
    let _ = word("a").query(far, &mut Budget::new(100), &mut out);
    let _ = slowcat(vec![word("a"), word("b")]).query(far, &mut Budget::new(100), &mut out);
    let neg = TimeSpan::new(Time::new(i64::MIN + 1, 1), Time::new(i64::MIN + 3, 1));
    let _ = slowcat(vec![word("a"), word("b")]).query(neg, &mut Budget::new(100), &mut out);
    let _ = rev(seq_words(&["a", "b"])).query(neg, &mut Budget::new(100), &mut out);
}

#[test]
fn ordinary_patterns_fit_a_small_budget() {
    let p = stack(vec![seq_words(&["a", "b", "c", "d"]); 8]);
    assert_eq!(run(&p, 200), Ok(32));
}
