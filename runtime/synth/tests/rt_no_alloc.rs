//! `Synth::note`, `Synth::render`, `Synth::set_samples` and `Synth::take_retired` never
//! allocate or free: a counting global allocator watches them through a busy workload (every
//! instrument, samples forwards and backwards, cut groups, effect sends and settings, bank swaps,
//! stealing, a full queue, late notes, missing samples), and a negative control proves the
//! counter catches an allocation when there is one.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use patter_synth::{Instrument, NoteSpec, Sample, SampleBank, Synth};

#[path = "../../tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;

const KINDS: [&str; 12] = [
    "sine", "saw", "square", "pluck", "bass", "pad", "bd", "sn", "hh", "oh", "cp", "rim",
];

/// Drive a synth like an audio callback would; `leak` runs once per block on the watched
/// path (the negative control makes it allocate).
fn bank(level: f32) -> Arc<SampleBank> {
    let tone: Vec<f32> = (0..3_000)
        .map(|i| level * (i as f32 * 0.01).sin())
        .collect();
    let stereo: Vec<f32> = tone.iter().flat_map(|&x| [x, -x]).collect();
    Arc::new(SampleBank::from_folders(
        48_000,
        vec![
            (
                "tone".to_string(),
                vec![
                    Sample::from_interleaved(&tone, 1, 48_000, 48_000),
                    Sample::from_interleaved(&stereo, 2, 48_000, 48_000),
                ],
            ),
            (
                "bd".to_string(),
                vec![Sample::from_interleaved(&tone, 1, 48_000, 48_000)],
            ),
        ],
    ))
}

fn exercise(mut leak: impl FnMut(usize)) -> u64 {
    let mut s = Synth::with_queue_capacity(48_000, 16, 64);
    s.set_samples(bank(0.5));
    // Swapped-out banks are parked here (capacity reserved) and dropped after the watch.
    let mut retired: Vec<Arc<SampleBank>> = Vec::with_capacity(64);
    let mut spare: Vec<Arc<SampleBank>> = (0..20).map(|i| bank(0.1 + i as f32 * 0.01)).collect();
    let mut out = vec![0.0f32; 512];
    let count = allocations_in(|| {
        for block in 0..200u64 {
            for i in 0..8u64 {
                let k = KINDS[((block + i) % 12) as usize];
                let mut n = NoteSpec::new(
                    Instrument::from_name(k).unwrap(),
                    60.0 + i as f32 * 50.0,
                    3_000,
                );
                if i % 3 == 0 {
                    n = NoteSpec::sample(["tone", "bd", "none"][(block % 3) as usize], i as i64);
                    n.speed = if i % 2 == 0 { -1.3 } else { 0.7 };
                    n.cutoff = 2_000.0;
                }
                n.cut = (i % 3) as i32 - 1;
                n.room = (i % 2) as f32 * 0.5;
                n.delay = (i % 3) as f32 * 0.3;
                if i == 5 {
                    n.size = Some(0.8);
                    n.delaytime = Some(0.1 + block as f32 * 0.01);
                    n.delayfeedback = Some(0.6);
                }
                // Some in the past (late), most ahead; the queue overflows at times.
                s.note((block * 256 + i * 97).saturating_sub(100), n);
            }
            if block % 10 == 5 {
                if let Some(b) = spare.pop() {
                    if let Some(old) = s.set_samples(b) {
                        retired.push(old);
                    }
                }
            }
            s.render(&mut out);
            if let Some(old) = s.take_retired() {
                retired.push(old);
            }
            leak(block as usize);
        }
    });
    let st = s.stats();
    assert!(st.stolen > 0 && st.late > 0 && st.missing > 0, "{st:?}");
    assert!(!retired.is_empty());
    drop(retired);
    count
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
