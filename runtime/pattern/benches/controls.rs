//! The cost of MIDI input in a query: one-beat windows of a player reading held notes
//! through the arpeggiator, a smoothed knob and a note trigger, with the input log full
//! to its horizon (a knob sweeping 64 messages a beat and a note every beat, over the
//! last 64 beats). Run: `cargo bench -p patter-pattern --bench controls`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patter_pattern::control::{
    with_input, ControlLog, ControlPat, ControlSource, InputSource, InputTrigger,
};
use patter_pattern::trigger::{Listen, TrigPat, Trigger, TriggerKind};
use patter_pattern::{
    ArpMode, Bind, Budget, Event, EventPat, Key, Pat, Player, Program, QueryCache, Stream, Time,
    TimeSpan,
};

fn control(source: ControlSource) -> Arc<Pat> {
    Pat::Trig(Arc::new(TrigPat::Control(ControlPat {
        source,
        cycle_beats: Time::int(4),
    })))
    .rc()
}

fn program() -> Program {
    let held = control(ControlSource::Held {
        channel: None,
        pedal: true,
    });
    let knob = control(ControlSource::Cc {
        number: 74,
        channel: None,
        smooth: 0.5,
        default: 0.5,
    });
    let pads = Trigger::new(TriggerKind::Input(InputTrigger {
        source: InputSource::Notes {
            channel: Some(9),
            lo: 36,
            hi: 51,
        },
        cycle_beats: Time::int(4),
    }));
    let count = Pat::Trig(Arc::new(TrigPat::Count(Listen {
        trigger: pads,
        quant: Time::ZERO,
    })))
    .rc();
    let keys = vec![
        (
            Key::new("midinote"),
            Stream::Arp {
                mode: ArpMode::UpDown,
                stream: Stream::Cycle(held).rc(),
            }
            .rc(),
        ),
        (Key::new("amp"), Stream::Cycle(knob).rc()),
        (Key::new("degree"), Stream::Cycle(count).rc()),
        (Key::new("dur"), Stream::num(0.25)),
    ];
    Program {
        players: vec![Player {
            name: Arc::from("keys"),
            body: Arc::new(EventPat::Bind(Bind { keys })),
            seed: 0,
            muted: false,
            quant: None,
            restart: false,
            feel: None,
            active: None,
        }],
        ..Program::default()
    }
}

fn log() -> Arc<ControlLog> {
    let mut log = ControlLog::new();
    for i in 0..64 * 64 {
        let at = Time::new(i, 64);
        log.push(at, [0xB0, 74, (i % 128) as u8]);
        if i % 64 == 0 {
            log.push(at, [0x90, 48 + (i / 64 % 12) as u8, 100]);
            log.push(at, [0x99, 36 + (i / 64 % 16) as u8, 100]);
            if i >= 64 * 3 {
                log.push(at, [0x80, 48 + ((i / 64 - 3) % 12) as u8, 0]);
            }
        }
    }
    log.compact(Time::int(64));
    Arc::new(log)
}

fn bench(c: &mut Criterion) {
    let p = program();
    let input = log();
    let mut g = c.benchmark_group("controls");
    // Four events a beat.
    g.throughput(Throughput::Elements(4));
    g.bench_function("one-beat window, log at its horizon", |b| {
        let mut cache = QueryCache::default();
        let mut out: Vec<Event> = Vec::new();
        let mut failed = Vec::new();
        let mut beat = 64i64;
        b.iter(|| {
            out.clear();
            with_input(&input, || {
                p.query(
                    TimeSpan::new(Time::int(beat), Time::int(beat + 1)),
                    &mut cache,
                    Budget::new(1_000_000),
                    &mut out,
                    &mut failed,
                )
            });
            beat = if beat > 100_000 { 64 } else { beat + 1 };
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
