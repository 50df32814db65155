//! `Synth::note` and `Synth::render` never allocate: a counting global allocator watches
//! them through a busy workload (every instrument, stealing, a full queue, late notes), and
//! a negative control proves the counter catches an allocation when there is one.
#![allow(clippy::unwrap_used)]

use patter_synth::{Instrument, NoteSpec, Synth};

#[path = "../../tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;

const KINDS: [&str; 12] = [
    "sine", "saw", "square", "pluck", "bass", "pad", "bd", "sn", "hh", "oh", "cp", "rim",
];

/// Drive a synth like an audio callback would; `leak` runs once per block on the watched
/// path (the negative control makes it allocate).
fn exercise(mut leak: impl FnMut(usize)) -> u64 {
    let mut s = Synth::with_queue_capacity(48_000, 16, 64);
    let mut out = vec![0.0f32; 512];
    allocations_in(|| {
        for block in 0..200u64 {
            for i in 0..8u64 {
                let k = KINDS[((block + i) % 12) as usize];
                let n = NoteSpec::new(
                    Instrument::from_name(k).unwrap(),
                    60.0 + i as f32 * 50.0,
                    3_000,
                );
                // Some in the past (late), most ahead; the queue overflows at times.
                s.note((block * 256 + i * 97).saturating_sub(100), n);
            }
            s.render(&mut out);
            leak(block as usize);
        }
    }) + {
        assert!(s.stats().stolen > 0 && s.stats().late > 0);
        0
    }
}

#[test]
fn note_and_render_never_allocate() {
    assert_eq!(exercise(|_| {}), 0);
}

#[test]
fn negative_control_catches_an_allocation() {
    let mut kept = Vec::new();
    assert!(
        exercise(|b| kept.push(vec![b; 3])) > 0,
        "the counting allocator must see allocations"
    );
}
