//! Cost of triggers on the scheduler's path and on a seek.
//!
//! (a) a cycle-mode player of sixteenths whose scale steps on a leaky integrator of a sine
//! (4 samples a beat), queried as the scheduler does: successive one-beat windows with a
//! persistent cache; (b) a cold seek: the integrator's firings up to bar 1000 with nothing
//! cached (16 000 integrator steps). Run: `cargo bench -p patter-pattern --bench
//! trigger_query`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_pattern::trigger::{
    forget_checkpoints, Integrator, Listen, TrigPat, Trigger, TriggerKind, TriggerRef,
};
use patter_pattern::{
    Bind, Budget, Event, EventPat, Pat, Player, Program, QueryCache, SignalKind, Stream, Time,
    TimeSpan, Value,
};

fn integrator() -> TriggerRef {
    let slow_sine = Pat::Fast {
        factor: Pat::num(0.25),
        pat: Pat::Signal {
            kind: SignalKind::Sine,
            seed: 0,
        }
        .rc(),
    }
    .rc();
    Trigger::new(TriggerKind::Integrate(Integrator {
        signal: slow_sine,
        step: Time::new(1, 16),
        dt: 0.25,
        scale: 1.0,
        leak: 0.1,
        threshold: 4.0,
        prob: 1.0,
        seed: 0,
    }))
}

fn program() -> Program {
    let words = |ws: &[&str]| {
        Pat::TimeCat(
            ws.iter()
                .map(|w| (Time::ONE, Pat::Pure(Value::str(w)).rc()))
                .collect(),
        )
        .rc()
    };
    let step = Pat::Trig(Arc::new(TrigPat::Step {
        listen: Listen {
            trigger: integrator(),
            quant: Time::ONE,
        },
        items: vec![
            Pat::Pure(Value::str("dorian")).rc(),
            Pat::Pure(Value::str("phrygian")).rc(),
        ],
        hold: false,
    }))
    .rc();
    let degrees: Vec<&str> = ["0", "2", "4", "6"].repeat(4);
    Program {
        players: vec![Player {
            name: Arc::from("arp"),
            body: Arc::new(EventPat::Bind(Bind {
                keys: vec![
                    (
                        Arc::from("degree"),
                        Arc::new(Stream::Cycle(words(&degrees))),
                    ),
                    (Arc::from("scale"), Arc::new(Stream::Cycle(step))),
                ],
            })),
            seed: 1,
            muted: false,
            quant: None,
            restart: false,
        }],
        ..Program::default()
    }
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
    g.bench_function("cold_seek_to_bar_1000", |b| {
        let t = integrator();
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
