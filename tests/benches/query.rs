//! Query throughput of compiled programs, in events per second, for the fixed list of
//! cases in issue 2. `cargo bench -p patter-tests --bench query`
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_pattern::Program;
use patter_tests::programs::query_cases;
use patter_tests::programs::{bench_program, query_bench_cycles};

fn count(p: &Program) -> u64 {
    let mut out = Vec::new();
    query_bench_cycles(p, &mut out);
    out.len() as u64
}

fn bench(c: &mut Criterion) {
    let cases = query_cases();
    let mut group = c.benchmark_group("query events");
    for (name, src) in &cases {
        let p = bench_program(src);
        let n = count(&p);
        group.throughput(Throughput::Elements(n));
        let mut out = Vec::with_capacity(n as usize);
        group.bench_function(*name, |b| {
            b.iter(|| {
                out.clear();
                query_bench_cycles(&p, &mut out);
                std::hint::black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
