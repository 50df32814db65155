//! Compile time of a 1000-line program (target: under 10 ms on the 2-core CI machine).
//! `cargo bench -p patter-tests --bench compile`
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use patter_lang::{compile, NoImports};
use patter_tests::programs::big_program;

fn bench(c: &mut Criterion) {
    let src = big_program(1000);
    let compiled = compile("big.pat", &src, &NoImports);
    assert!(
        compiled.program.is_some(),
        "the benchmark program must compile"
    );
    c.bench_function("compile 1000 lines", |b| {
        b.iter(|| compile("big.pat", std::hint::black_box(&src), &NoImports))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
