//! Query throughput of compiled programs, in events per second, for the fixed list of
//! cases in issue 2. `cargo bench -p patter-tests --bench query`
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_lang::{compile, NoImports};
use patter_pattern::{Budget, Event, Program, QueryCache, Time, TimeSpan};
use patter_tests::programs::query_cases;

const CYCLES: i64 = 64;

fn program(src: &str) -> Program {
    compile("bench.pat", src, &NoImports).program.unwrap()
}

fn count(p: &Program) -> u64 {
    let mut out = Vec::new();
    query(p, &mut out);
    out.len() as u64
}

fn query(p: &Program, out: &mut Vec<Event>) {
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    for c in 0..CYCLES {
        let t = p.cycle_beats * Time::int(c);
        p.query(
            TimeSpan::new(t, t + p.cycle_beats),
            &mut cache,
            Budget::new(u64::MAX / 2),
            out,
            &mut failed,
        );
    }
}

fn bench(c: &mut Criterion) {
    let cases = query_cases();
    let mut group = c.benchmark_group("query events");
    for (name, src) in &cases {
        let p = program(src);
        let n = count(&p);
        group.throughput(Throughput::Elements(n));
        let mut out = Vec::with_capacity(n as usize);
        group.bench_function(*name, |b| {
            b.iter(|| {
                out.clear();
                query(&p, &mut out);
                std::hint::black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
