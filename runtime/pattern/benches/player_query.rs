//! Events per second of `Program::query` as the scheduler calls it: successive one-beat
//! windows with a persistent cache.
//!
//! (a) 8 cycle-mode players of 16 steps; (b) one 6-key stream-mode Pbind of random
//! streams. Run: `cargo bench -p patter-pattern --bench player_query`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_pattern::build;
use patter_pattern::{
    Bind, Budget, Event, EventPat, Key, Player, Program, QueryCache, Stream, StreamRef, Time,
    TimeSpan, Value,
};

fn n(x: f64) -> StreamRef {
    Stream::num(x)
}

fn nums(xs: &[f64]) -> Vec<StreamRef> {
    xs.iter().map(|&x| n(x)).collect()
}

fn bind(keys: Vec<(&str, StreamRef)>) -> Arc<EventPat> {
    Arc::new(EventPat::Bind(Bind {
        keys: keys.into_iter().map(|(k, s)| (Key::new(k), s)).collect(),
    }))
}

fn cycle_players() -> Program {
    let words = [
        "bd", "hh", "sn", "hh", "bd", "bd", "sn", "hh", "bd", "hh", "sn", "hh", "bd:3", "hh", "sn",
        "oh",
    ];
    let players = (0..8)
        .map(|i| Player {
            name: Arc::from(format!("p{i}")),
            body: bind(vec![
                ("s", Stream::Cycle(build::seq_words(&words)).rc()),
                (
                    "n",
                    Stream::Seq {
                        items: nums(&[0., 1., 2., 3.]),
                        repeats: None,
                        offset: i,
                    }
                    .rc(),
                ),
                ("gain", n(0.8)),
            ]),
            seed: i as u64,
            muted: false,
            quant: None,
            restart: false,
            feel: None,
            active: None,
        })
        .collect();
    Program {
        players,
        ..Program::default()
    }
}

fn random_pbind() -> Program {
    let body = bind(vec![
        (
            "degree",
            Stream::Rand {
                items: nums(&[0., 2., 4., 5., 7.]),
                repeats: None,
                seed: 1,
            }
            .rc(),
        ),
        (
            "amp",
            Stream::White {
                lo: n(0.05),
                hi: n(0.3),
                length: None,
                seed: 2,
            }
            .rc(),
        ),
        (
            "octave",
            Stream::XRand {
                items: nums(&[3., 4., 5.]),
                repeats: None,
                seed: 3,
            }
            .rc(),
        ),
        (
            "pan",
            Stream::Brown {
                lo: n(-1.),
                hi: n(1.),
                step: n(0.1),
                length: None,
                seed: 4,
            }
            .rc(),
        ),
        (
            "legato",
            Stream::Shuf {
                items: nums(&[0.2, 0.5, 1.0]),
                repeats: None,
                seed: 5,
            }
            .rc(),
        ),
        (
            "dur",
            Stream::Rand {
                items: nums(&[0.125, 0.25]),
                repeats: None,
                seed: 6,
            }
            .rc(),
        ),
    ]);
    Program {
        players: vec![Player {
            name: Arc::from("rnd"),
            body,
            seed: 42,
            muted: false,
            quant: None,
            restart: false,
            feel: None,
            active: None,
        }],
        ..Program::default()
    }
}

/// Query `beats` one-beat windows with one cache; returns the event count.
fn run(p: &Program, beats: i64, out: &mut Vec<Event>) -> usize {
    let mut cache = QueryCache::new();
    let mut failed = Vec::new();
    let mut count = 0;
    for b in 0..beats {
        out.clear();
        let w = TimeSpan::new(Time::int(b), Time::int(b + 1));
        p.query(w, &mut cache, Budget::new(1 << 24), out, &mut failed);
        count += out.len();
    }
    assert!(failed.is_empty());
    count
}

fn bench(c: &mut Criterion) {
    let mut out = Vec::with_capacity(1024);
    let mut g = c.benchmark_group("player_query");
    for (name, p) in [
        ("cycle_8x16", cycle_players()),
        ("stream_6key_random", random_pbind()),
    ] {
        let events = run(&p, 64, &mut out);
        g.throughput(Throughput::Elements(events as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(run(black_box(&p), 64, &mut out)));
        });
    }
    g.finish();
    let _ = Value::Rest;
}

criterion_group!(benches, bench);
criterion_main!(benches);
