//! Query throughput (haps per second) of typical mini-notation shapes, built by hand.
//! Each iteration queries 64 consecutive one-cycle windows, as a scheduler would.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_pattern::build::*;
use patter_pattern::{BinOp, Budget, Hap, PatRef, Time, TimeSpan};

const CYCLES: i64 = 64;

fn run(p: &PatRef, out: &mut Vec<Hap>) -> usize {
    let mut n = 0;
    for c in 0..CYCLES {
        out.clear();
        p.query(
            TimeSpan::new(Time::int(c), Time::int(c + 1)),
            &mut Budget::new(1 << 40),
            out,
        )
        .unwrap();
        n += out.len();
    }
    n
}

fn cases() -> Vec<(&'static str, PatRef)> {
    // "a b c d"
    let seq4 = seq_words(&["a", "b", "c", "d"]);
    // "a [b [c d]] [e [f [g h]]] [i j k]"
    let nested = fastcat(vec![
        word("a"),
        fastcat(vec![word("b"), seq_words(&["c", "d"])]),
        fastcat(vec![
            word("e"),
            fastcat(vec![word("f"), seq_words(&["g", "h"])]),
        ]),
        seq_words(&["i", "j", "k"]),
    ]);
    // "a <b c> <d e f> [g <h i>]"
    let alt = fastcat(vec![
        word("a"),
        slowcat(vec![word("b"), word("c")]),
        slowcat(vec![word("d"), word("e"), word("f")]),
        fastcat(vec![word("g"), slowcat(vec![word("h"), word("i")])]),
    ]);
    // "a(3,8) b(5,8,2) c(7,16)"
    let eucl = stack(vec![
        euclid(3, 8, 0, word("a")),
        euclid(5, 8, 2, word("b")),
        euclid(7, 16, 0, word("c")),
    ]);
    // 8 stacked sequences of 16 steps
    let words: Vec<String> = (0..16).map(|i| format!("s{i}")).collect();
    let refs: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
    let stack8 = stack((0..8).map(|_| seq_words(&refs)).collect());
    // "0 2 4 5 7 9 11 12" + "<0 3 5>"
    let arith = app(
        BinOp::Add,
        seq_nums(&[0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 11.0, 12.0]),
        slowcat(vec![num(0.0), num(3.0), num(5.0)]),
    );
    vec![
        ("seq4", seq4),
        ("nested", nested),
        ("alternation", alt),
        ("euclid", eucl),
        ("stack8x16", stack8),
        ("app", arith),
    ]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("query");
    let mut out = Vec::with_capacity(4096);
    for (name, p) in cases() {
        let haps = run(&p, &mut out) as u64;
        group.throughput(Throughput::Elements(haps));
        group.bench_function(name, |b| b.iter(|| black_box(run(black_box(&p), &mut out))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
