//! The JACK MIDI input's process callback never allocates: its whole body
//! ([`receive_cycle`]) runs under a counting allocator over notes, controls, the sustain
//! pedal, messages that are not channel messages and a full queue; a negative control
//! proves the counter sees an allocation when there is one.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use patter_runtime::input::InputQueue;
use patter_runtime::midi_in::{receive_cycle, CycleClock, Receiver};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;

/// One cycle's events: a chord, a knob, the pedal, clock ticks, a sysex, a release.
fn cycle_events() -> Vec<(u32, Vec<u8>)> {
    let mut v: Vec<(u32, Vec<u8>)> = Vec::new();
    for (i, note) in [60u8, 64, 67].into_iter().enumerate() {
        v.push((i as u32, vec![0x90, note, 100]));
    }
    v.push((10, vec![0xB0, 74, 33]));
    v.push((11, vec![0xB0, 64, 127]));
    v.push((12, vec![0xF8]));
    v.push((13, vec![0xF0, 1, 2, 3, 0xF7]));
    v.push((14, vec![0xE0, 0, 64]));
    for (i, note) in [60u8, 64, 67].into_iter().enumerate() {
        v.push((20 + i as u32, vec![0x80, note, 0]));
    }
    v.push((30, vec![0xB0, 64, 0]));
    v
}

fn clock() -> CycleClock {
    CycleClock {
        start_us: 5_000_000,
        next_us: 5_005_333,
        n_frames: 256,
        offset_us: 1_000,
    }
}

#[test]
fn the_jack_input_callback_never_allocates() {
    // Made before watching: the port's buffer and the receiver belong to the control side.
    let queue = Arc::new(InputQueue::new());
    let rx = Receiver::new(queue.clone(), 0);
    let events = cycle_events();
    let clock = clock();
    let mut pushed = 0;
    // Enough cycles to fill the queue: the drops are watched too.
    let cycles = InputQueue::CAPACITY / 8 + 10;
    let n = allocations_in(|| {
        for _ in 0..cycles {
            pushed += receive_cycle(&rx, &clock, events.iter().map(|(f, b)| (*f, b.as_slice())));
        }
    });
    assert_eq!(n, 0, "the process callback allocated");
    assert_eq!(pushed, InputQueue::CAPACITY);
    assert!(rx.dropped() > 0, "the full queue was exercised");
    assert_eq!(rx.held().count(), 0);
}

#[test]
fn negative_control_catches_an_allocating_callback() {
    let queue = Arc::new(InputQueue::new());
    let rx = Receiver::new(queue, 0);
    let events = cycle_events();
    let clock = clock();
    let n = allocations_in(|| {
        // A naive callback that copies each event before handing it on.
        let copies: Vec<(u32, Vec<u8>)> = events.clone();
        receive_cycle(&rx, &clock, copies.iter().map(|(f, b)| (*f, b.as_slice())));
    });
    assert!(n > 0, "the counting allocator must see allocations");
}
