//! Cost of the JACK MIDI input's process callback body ([`receive_cycle`]: stamp each
//! event by its frame, follow held notes, note the last control, push into the engine's
//! queue) for a busy cycle of 16 channel messages (a chord, knobs, a pedal) and for an
//! empty cycle. The scheduler's side (popping the queue) runs in the same loop so the queue
//! never fills; its cost is included.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use patter_runtime::input::InputQueue;
use patter_runtime::midi_in::{receive_cycle, CycleClock, Receiver};

fn busy_cycle() -> Vec<(u32, [u8; 3])> {
    let mut v = Vec::new();
    for (i, n) in [48u8, 55, 60, 64, 67, 71].into_iter().enumerate() {
        v.push((i as u32 * 8, [0x90, n, 100]));
    }
    for (i, value) in (0..8u8).enumerate() {
        v.push((64 + i as u32 * 16, [0xB0, 74, value * 16]));
    }
    v.push((200, [0xB0, 64, 127]));
    v.push((240, [0x80, 60, 0]));
    v
}

fn bench(c: &mut Criterion) {
    let queue = Arc::new(InputQueue::new());
    let rx = Receiver::new(queue.clone(), 0);
    let mut clock = CycleClock {
        start_us: 1_000_000,
        next_us: 1_005_333,
        n_frames: 256,
        offset_us: 500,
    };
    let events = busy_cycle();
    c.bench_function("midi_in/cycle_16_messages", |b| {
        b.iter(|| {
            clock.start_us += 5333;
            clock.next_us += 5333;
            let n = receive_cycle(
                &rx,
                black_box(&clock),
                events.iter().map(|(f, b)| (*f, &b[..])),
            );
            while queue.pop().is_some() {}
            n
        })
    });
    c.bench_function("midi_in/cycle_empty", |b| {
        b.iter(|| receive_cycle(&rx, black_box(&clock), std::iter::empty()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
