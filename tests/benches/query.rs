//! Query throughput of compiled programs, in events per second, for the fixed list of
//! cases in issue 2. `cargo bench -p patter-tests --bench query`
#![allow(clippy::unwrap_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use patter_tests::programs::query_cases;

fn bench(c: &mut Criterion) {
    common::bench_query_cases(c, "query events", &query_cases());
}

criterion_group!(benches, bench);
criterion_main!(benches);
