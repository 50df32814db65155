//! What grooves, humanize and arrangements cost a query, against the same pattern straight.
//! `cargo bench -p patter-tests --bench feel`
#![allow(clippy::unwrap_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let hats = "s: \"hh*16\", amp: \"0.3 0.2\"";
    let cases: Vec<(&str, String)> = vec![
        ("16ths straight", format!("play a {{ {hats} }}")),
        (
            "16ths grooved",
            format!("play a {{ {hats}, groove: {{ grid: 16, timing: [0, 0.24], amp: [1, 0.7] }} }}"),
        ),
        (
            "16ths humanized",
            format!("play a {{ {hats}, humanize: {{ time: 0.02, amp: 0.1 }} }}"),
        ),
        (
            "16ths grooved and humanized",
            format!("play a {{ {hats}, groove: {{ grid: 16, timing: [0, 0.24] }}, humanize: 0.02 }}"),
        ),
        (
            "16ths in a looped 4-section arrangement",
            format!("scene a {{ play h {{ {hats} }} }}\nscene b {{ play h {{ {hats} }} }}\narrange loop a 3, b 1, a 2, b 2"),
        ),
    ];
    common::bench_query_cases(c, "feel", &cases);
}

criterion_group!(benches, bench);
criterion_main!(benches);
