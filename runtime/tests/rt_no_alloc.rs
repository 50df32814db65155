//! The MIDI dispatch loop never allocates: a counting global allocator watches the
//! dispatch thread's work (sends, drops, release-all, panic), and a negative control proves
//! the counter catches an allocation when there is one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crossbeam_queue::ArrayQueue;
use patter_runtime::midi::MidiMsg;
use patter_runtime::sink::dispatch::{Control, Deadline, Dispatcher, MidiPort, RecordingPort};
use patter_runtime::sink::SinkCounters;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;

fn exercise<P: MidiPort>(port: P) -> u64 {
    let input = Arc::new(ArrayQueue::new(1024));
    let control = Arc::new(ArrayQueue::new(16));
    let counters = Arc::new(SinkCounters::default());
    let mut d = Dispatcher::new(port, input.clone(), control.clone(), 256, counters);
    // Fill from "the scheduler" before watching: pushing is the other thread's work.
    for i in 0..600u64 {
        let msg = if i % 2 == 0 {
            MidiMsg::note_on((i % 16) as u8, (i % 128) as u8, 100)
        } else {
            MidiMsg::note_off((i % 16) as u8, ((i - 1) % 128) as u8)
        };
        input
            .push(Deadline {
                at_ns: i * 1000,
                seq: i,
                msg,
            })
            .unwrap();
    }
    control.push(Control::Now(MidiMsg::START)).unwrap();
    let n = allocations_in(|| {
        // Heap overflow (drops and immediate note-offs), due sends, late drops.
        let mut now = 0;
        while now < 700_000 {
            d.run_once(now);
            now += 10_000;
        }
    });
    for i in 0..50u64 {
        input
            .push(Deadline {
                at_ns: 1_000_000 + i,
                seq: 1000 + i,
                msg: MidiMsg::note_on(3, 60, 90),
            })
            .unwrap();
    }
    control.push(Control::Panic).unwrap();
    control.push(Control::ReleaseAll).unwrap();
    n + allocations_in(|| {
        d.run_once(1_000_100);
        d.run_once(u64::MAX);
    })
}

#[test]
fn dispatch_never_allocates() {
    assert_eq!(exercise(RecordingPort::with_capacity(4096)), 0);
}

/// A port that allocates on every send, like a naive implementation would.
struct AllocatingPort(Vec<Vec<u8>>);

impl MidiPort for AllocatingPort {
    fn send(&mut self, msg: &MidiMsg, _at_ns: u64) -> bool {
        self.0.push(msg.as_slice().to_vec());
        true
    }
}

#[test]
fn negative_control_catches_an_allocating_port() {
    assert!(
        exercise(AllocatingPort(Vec::new())) > 0,
        "the counting allocator must see allocations"
    );
}
