//! What scene launches by triggers cost a query, against the same pattern played plainly:
//! one player of sixteenths, 64 cycles queried one cycle at a time (as the scheduler's
//! windows follow each other), with the trigger checkpoints warm.
//! `cargo bench -p patter-tests --bench launch`
#![allow(clippy::unwrap_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let hats = "s: \"hh*16\", amp: \"0.3 0.2\"";
    let two = format!("scene a {{ play h {{ {hats} }} }}\nscene b {{ play h {{ {hats} }} }}");
    let cases: Vec<(&str, String)> = vec![
        ("16ths plain", format!("play a {{ {hats} }}")),
        ("16ths launched once", format!("{two}\nlaunch a")),
        (
            "16ths, two scenes on a timer",
            format!("{two}\nlaunch a\nlaunch [b, a] on timer(2)"),
        ),
        (
            "16ths, two scenes on onsets at once",
            format!("{two}\nlaunch [a, b] on onsets(\"x ~ ~ x ~ ~ x ~\"), quant: 0"),
        ),
        (
            "16ths, two scenes on an integrator",
            format!("{two}\nlaunch a\nlaunch [b, a] on integrate(sine.slow(4), threshold: 2)"),
        ),
    ];
    common::bench_query_cases(c, "launch", &cases);
}

criterion_group!(benches, bench);
criterion_main!(benches);
