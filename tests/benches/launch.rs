//! What scene launches by triggers cost a query, against the same pattern played plainly:
//! one player of sixteenths, 64 cycles queried one cycle at a time (as the scheduler's
//! windows follow each other), with the trigger checkpoints warm.
//! `cargo bench -p patter-tests --bench launch`
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_lang::{compile, NoImports};
use patter_pattern::{Budget, Event, Program, QueryCache, Time, TimeSpan};

const CYCLES: i64 = 64;

fn program(src: &str) -> Program {
    compile("bench.pat", src, &NoImports).program.unwrap()
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
    let mut group = c.benchmark_group("launch");
    for (name, src) in &cases {
        let p = program(src);
        let mut out = Vec::new();
        query(&p, &mut out);
        group.throughput(Throughput::Elements(out.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                out.clear();
                query(&p, &mut out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
