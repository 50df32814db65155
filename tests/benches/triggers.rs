//! Cost of triggers on the scheduler's path and on a seek.
//!
//! (a) a player of sixteenths whose scale steps on a leaky integrator of a sine (4 samples
//! a beat), queried as the scheduler does: successive one-beat windows with a persistent
//! cache; (b) a cold seek: the integrator's firings up to bar 1000 with nothing cached
//! (16 000 integrator steps). Run: `cargo bench -p patter-tests --bench triggers`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_lang::{compile, NoImports};
use patter_pattern::trigger::{forget_checkpoints, TrigPat, TriggerRef};
use patter_pattern::{Budget, Event, Pat, Program, QueryCache, Stream, Time, TimeSpan};

const SRC: &str = r#"
let swell = integrate(sine.slow(4), threshold: 4, leak: 0.1)
play arp { degree: "0 2 4 6".fast(4), scale: swell.step([dorian, phrygian]) }
"#;

fn program() -> Program {
    compile("bench.pat", SRC, &NoImports).program.unwrap()
}

/// The integrator inside the compiled program (the `scale` key's step).
fn integrator(p: &Program) -> TriggerRef {
    let body = &p.players.first().unwrap().body;
    let patter_pattern::EventPat::Bind(bind) = &**body else {
        panic!("a bind")
    };
    let (_, scale) = bind.keys.iter().find(|(k, _)| &**k == "scale").unwrap();
    let Stream::Cycle(pat) = &**scale else {
        panic!("a cycle pattern")
    };
    let Pat::Trig(t) = &**pat else {
        panic!("a trigger value")
    };
    let TrigPat::Step { listen, .. } = &**t else {
        panic!("a step")
    };
    listen.trigger.clone()
}

fn bench(c: &mut Criterion) {
    let p = program();
    let mut g = c.benchmark_group("trigger");
    g.throughput(Throughput::Elements(4 * 64));
    g.bench_function("step_scale_sixteenths_64_beats", |b| {
        let mut cache = QueryCache::default();
        let mut out: Vec<Event> = Vec::new();
        let mut failed = Vec::new();
        let mut beat = 0i64;
        b.iter(|| {
            out.clear();
            for _ in 0..64 {
                let w = TimeSpan::new(Time::int(beat), Time::int(beat + 1));
                p.query(w, &mut cache, Budget::new(1 << 24), &mut out, &mut failed);
                beat += 1;
            }
            black_box(out.len())
        })
    });
    g.throughput(Throughput::Elements(16_000));
    let t = integrator(&p);
    g.bench_function("cold_seek_to_bar_1000", |b| {
        b.iter(|| {
            forget_checkpoints();
            let v = t
                .instants(Time::int(1000), 0, &mut Budget::new(1 << 30))
                .unwrap();
            black_box(v.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
