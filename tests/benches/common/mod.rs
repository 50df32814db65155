//! The query benches' shared loop (a module of each bench, not a bench of its own).

use criterion::{Criterion, Throughput};
use patter_tests::programs::{bench_program, query_bench_cycles};

/// One criterion group `group` with a bench per `(name, source)` case: complete events per
/// second over [`query_bench_cycles`] (64 one-cycle windows, a fresh cache each time).
pub fn bench_query_cases(c: &mut Criterion, group: &str, cases: &[(&str, String)]) {
    let mut group = c.benchmark_group(group);
    for (name, src) in cases {
        let p = bench_program(src);
        let mut out = Vec::new();
        query_bench_cycles(&p, &mut out);
        group.throughput(Throughput::Elements(out.len() as u64));
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
