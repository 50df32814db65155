//! Query throughput of compiled programs, in events per second, for the fixed list of
//! cases in issue 2. `cargo bench -p patter-tests --bench query`
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_lang::{compile, NoImports};
use patter_pattern::{Budget, Event, Program, QueryCache, Time, TimeSpan};

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
    let stack8: String = (0..8)
        .map(|i| format!("play p{i} {{ note: \"0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 {i}\" }}\n"))
        .collect();
    let cases: Vec<(&str, String)> = vec![
        ("4-step sequence", "play a { s: \"bd sn hh cp\" }".to_string()),
        ("nested subdivision", "play a { note: \"0 [1 2] [3 [4 5]] [6 [7 [8 9]]]\" }".to_string()),
        ("alternation", "play a { note: \"<0 1 2> <3 4> [5 <6 7 8>]\" }".to_string()),
        ("euclid", "play a { s: \"bd(3,8) sn(5,8,2) hh(7,16)\" }".to_string()),
        ("stack of 8 players x 16 steps", stack8),
        (
            "6-key Pbind with random keys",
            "play a { degree: rand([0, 2, 4, 7]), dur: 0.25, amp: white(0.1, 0.5), pan: brown(-1, 1, 0.1), legato: xrand([0.5, 0.8, 1]), octave: choose([4, 5]) }".to_string(),
        ),
    ];
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
