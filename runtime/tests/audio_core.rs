//! The audio callback's core without a device: notes land on their exact frame, late notes
//! play at the buffer's first frame and are counted, stale ones are dropped, a reset fades
//! to silence within FADE_FRAMES, drift moves the mapping only past its limit and then
//! slowly (a large offset at once), and the whole
//! callback body never allocates (a counting allocator, with a negative control), sample
//! banks swapped in while sample notes play included.
#![cfg(feature = "audio")]
#![allow(clippy::unwrap_used)]

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use counting_alloc::allocations_in;
use patter_runtime::sink::audio::core::{
    AudioCore, AudioMsg, AudioShared, CallbackTiming, FADE_FRAMES, STALE_NS,
};
use patter_synth::{Instrument, NoteSpec, Sample, SampleBank, Synth};

const RATE: u32 = 48_000;
const BLOCK: usize = 256;
/// Engine time of the first callback (any value; frame 0 is heard then).
const T0: i64 = 1_000_000_000;

fn core(channels: usize) -> (AudioCore, Arc<AudioShared>) {
    let shared = Arc::new(AudioShared::new());
    for _ in 0..2 {
        let _ = shared.spares.push(Box::new(Synth::new(RATE, 64)));
    }
    (AudioCore::new(shared.clone(), RATE, channels, 64), shared)
}

/// Timing of the callback that starts at stream frame `frame`, with the stream clock
/// running exactly with the frames plus `drift_ns`.
fn timing(frame: u64, drift_ns: i64) -> CallbackTiming {
    let ns = (frame as f64 * 1e9 / f64::from(RATE)) as i64;
    CallbackTiming {
        engine_now_ns: T0 + ns,
        latency_ns: 0,
        stream_ns: Some(5_000 + ns + drift_ns),
    }
}

fn frame_ns(frame: u64) -> i64 {
    T0 + (frame as f64 * 1e9 / f64::from(RATE)).round() as i64
}

/// A rim shot: 50 ms long, so onsets a few thousand frames apart stand out.
fn click() -> NoteSpec {
    NoteSpec::new(Instrument::Rim, 50.0, 1_000)
}

/// Run `blocks` callbacks of `BLOCK` frames; returns the left channel.
fn run(core: &mut AudioCore, blocks: usize, channels: usize) -> Vec<f32> {
    let mut left = Vec::new();
    let mut out = vec![0.0f32; BLOCK * channels];
    for _ in 0..blocks {
        core.process(&mut out, timing(core.frame(), 0), |x| x);
        left.extend(out.chunks(channels).map(|f| f[0]));
    }
    left
}

/// Frames where a sound starts: a non-zero sample after at least `gap` silent ones.
fn onsets(samples: &[f32], gap: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut silent = gap;
    for (i, x) in samples.iter().enumerate() {
        if *x != 0.0 {
            if silent >= gap {
                out.push(i);
            }
            silent = 0;
        } else {
            silent += 1;
        }
    }
    out
}

#[test]
fn notes_start_on_their_exact_frame_across_buffers() {
    let (mut core, shared) = core(2);
    // The first callback anchors the mapping; notes are queued after it, as the scheduler
    // queues them ahead of time.
    run(&mut core, 1, 2);
    for f in [1_000u64, 25_000, 25_000 + 24_000, 73_001] {
        shared
            .queue
            .push(AudioMsg::Note {
                at_ns: frame_ns(f),
                spec: click(),
            })
            .unwrap();
    }
    let mut left = vec![0.0; BLOCK];
    left.extend(run(&mut core, 400, 2));
    assert_eq!(onsets(&left, 2_000), vec![1_000, 25_000, 49_000, 73_001]);
    assert_eq!(shared.counters.sent.load(Ordering::Relaxed), 4);
    assert_eq!(shared.counters.late.load(Ordering::Relaxed), 0);
}

#[test]
fn mono_and_multichannel_devices_get_the_same_onsets() {
    for channels in [1usize, 4] {
        let (mut core, shared) = core(channels);
        run(&mut core, 1, channels);
        shared
            .queue
            .push(AudioMsg::Note {
                at_ns: frame_ns(3_333),
                spec: click(),
            })
            .unwrap();
        let mut left = vec![0.0; BLOCK];
        left.extend(run(&mut core, 40, channels));
        assert_eq!(onsets(&left, 1_000), vec![3_333], "{channels} channels");
    }
}

#[test]
fn a_late_note_plays_at_the_start_of_the_buffer_and_is_counted() {
    let (mut core, shared) = core(2);
    run(&mut core, 10, 2);
    // Due 100 frames before the next buffer starts (frame 2560).
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: frame_ns(2_460),
            spec: click(),
        })
        .unwrap();
    let left = run(&mut core, 4, 2);
    assert_eq!(onsets(&left, 1), vec![0]);
    assert_eq!(shared.counters.late.load(Ordering::Relaxed), 1);
    assert_eq!(shared.counters.sent.load(Ordering::Relaxed), 1);
}

#[test]
fn a_stale_note_is_dropped_not_played() {
    let (mut core, shared) = core(2);
    run(&mut core, 100, 2);
    let now = core.frame();
    let stale = frame_ns(now) - STALE_NS - 1_000_000;
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: stale,
            spec: click(),
        })
        .unwrap();
    let left = run(&mut core, 4, 2);
    assert!(left.iter().all(|x| *x == 0.0));
    assert_eq!(shared.counters.dropped.load(Ordering::Relaxed), 1);
}

#[test]
fn a_reset_fades_to_silence_and_later_notes_still_play() {
    let (mut core, shared) = core(2);
    run(&mut core, 1, 2);
    let long = NoteSpec::new(Instrument::Saw, 220.0, 10 * RATE);
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: frame_ns(BLOCK as u64),
            spec: long,
        })
        .unwrap();
    run(&mut core, 20, 2);
    shared.queue.push(AudioMsg::Reset).unwrap();
    // A note queued after the reset, a little later, must still play.
    let after = core.frame() + 4 * BLOCK as u64;
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: frame_ns(after),
            spec: click(),
        })
        .unwrap();
    let left = run(&mut core, 8, 2);
    let fade = FADE_FRAMES as usize;
    assert!(left[..fade].iter().any(|x| *x != 0.0), "fades, not cut");
    assert!(
        left[fade..4 * BLOCK].iter().all(|x| *x == 0.0),
        "silent after the fade"
    );
    assert_eq!(onsets(&left[fade..], 100), vec![4 * BLOCK - fade]);
    // The old synth went back for freeing off the audio thread, and a spare was used.
    assert_eq!(shared.trash.len(), 1);
    assert_eq!(shared.spares.len(), 1);
}

#[test]
fn a_reset_without_a_spare_waits_for_one() {
    let (mut core, shared) = core(2);
    while shared.spares.pop().is_some() {}
    run(&mut core, 1, 2);
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: frame_ns(BLOCK as u64),
            spec: NoteSpec::new(Instrument::Sine, 440.0, 10 * RATE),
        })
        .unwrap();
    run(&mut core, 4, 2);
    shared.queue.push(AudioMsg::Reset).unwrap();
    let before = run(&mut core, 4, 2);
    assert!(before.iter().any(|x| *x != 0.0), "still sounding");
    assert!(shared.spares.push(Box::new(Synth::new(RATE, 64))).is_ok());
    let after = run(&mut core, 4, 2);
    assert!(after[FADE_FRAMES as usize..].iter().all(|x| *x == 0.0));
}

#[test]
fn drift_moves_the_mapping_only_past_the_limit_and_slowly() {
    let (mut core, shared) = core(2);
    let mut out = vec![0.0f32; BLOCK * 2];
    core.process(&mut out, timing(0, 0), |x| x);
    // The stream clock reads 2 ms off during the first second (JACK's cycle times as a
    // client starts): an offset of the origin, not drift. Nothing moves.
    for _ in 0..200 {
        core.process(&mut out, timing(core.frame(), 2_000_000), |x| x);
    }
    assert_eq!(core.frame_at(frame_ns(100_000)).unwrap(), 100_000);
    // 0.5 ms of drift from there: within the limit, frames stay the clock.
    for _ in 0..400 {
        core.process(&mut out, timing(core.frame(), 2_500_000), |x| x);
    }
    let f = core.frame_at(frame_ns(100_000)).unwrap();
    assert_eq!(f, 100_000);
    assert_eq!(shared.corrections.load(Ordering::Relaxed), 0);
    // A wobble of 5 ms for 20 ms (JACK's cycle times after a late cycle): nothing moves.
    for _ in 0..4 {
        core.process(&mut out, timing(core.frame(), 7_000_000), |x| x);
    }
    assert_eq!(shared.corrections.load(Ordering::Relaxed), 0);
    assert_eq!(core.frame_at(frame_ns(100_000)).unwrap(), 100_000);
    // 2 ms that lasts: once the low-passed drift passes 1 ms (after about 0.4 s)
    // the mapping follows, at most SLEW of the time played per callback (13 µs per 256
    // frames: well under a frame), so a note moves smoothly.
    let mut moved = Vec::new();
    for _ in 0..800 {
        core.process(&mut out, timing(core.frame(), 4_000_000), |x| x);
        moved.push(100_000 - core.frame_at(frame_ns(100_000)).unwrap());
    }
    assert_eq!(shared.corrections.load(Ordering::Relaxed), 1);
    assert!(moved.windows(2).all(|w| w[1] - w[0] <= 1), "{moved:?}");
    assert_eq!(moved.get(40), Some(&0), "{moved:?}");
    // Caught up to within the limit (1 ms, 48 frames) of the 2 ms (96 frames) it follows,
    // and still: a note at engine time t now falls that much earlier in the stream.
    let last = *moved.last().unwrap();
    assert!((48..=96).contains(&last), "{moved:?}");
    assert!(
        moved[moved.len() - 100..].iter().all(|&m| m == last),
        "{moved:?}"
    );
}

#[test]
fn a_stream_that_does_not_run_at_its_rate_is_followed_at_every_callback() {
    let (mut core, shared) = core(2);
    let mut out = vec![0.0f32; BLOCK * 2];
    // Buffers taken ten times as fast as they play (ALSA's null device): the stream's
    // clock moves a tenth of a buffer per callback.
    let tenth = |frame: u64| CallbackTiming {
        engine_now_ns: T0 + (frame as f64 * 1e8 / f64::from(RATE)) as i64,
        latency_ns: 0,
        stream_ns: Some(5_000 + (frame as f64 * 1e8 / f64::from(RATE)) as i64),
    };
    for _ in 0..400 {
        core.process(&mut out, tenth(core.frame()), |x| x);
    }
    assert_eq!(shared.corrections.load(Ordering::Relaxed), 1);
    // A note due now on the engine's clock lands within a buffer of now, not seconds behind
    // (the mapping was taken at the start of the last buffer).
    let now_ns = T0 + (core.frame() as f64 * 1e8 / f64::from(RATE)) as i64;
    let f = core.frame_at(now_ns).unwrap();
    assert!(
        (f - core.frame() as i64).abs() <= BLOCK as i64,
        "{f} vs {}",
        core.frame()
    );
}

#[test]
fn a_large_offset_is_corrected_at_once() {
    let (mut core, shared) = core(2);
    let mut out = vec![0.0f32; BLOCK * 2];
    core.process(&mut out, timing(0, 0), |x| x);
    for _ in 0..200 {
        core.process(&mut out, timing(core.frame(), 0), |x| x);
    }
    // The stream clock jumped 0.5 s ahead of the frames (it stalled, or came back).
    core.process(&mut out, timing(core.frame(), 500_000_000), |x| x);
    assert_eq!(shared.corrections.load(Ordering::Relaxed), 1);
    assert_eq!(core.frame_at(frame_ns(100_000)).unwrap(), 100_000 - 24_000);
}

/// A bank whose folder `tick` holds one 2000-frame sample at `level`.
fn tick_bank(level: f32) -> Arc<SampleBank> {
    let sample = Sample::from_interleaved(&[level; 2000], 1, RATE, RATE);
    Arc::new(SampleBank::from_folders(
        RATE,
        vec![("tick".to_string(), vec![sample])],
    ))
}

/// A busy callback workload: notes ahead and late, resets, a synth queue that overflows,
/// sample notes, and a new sample bank every 20 buffers (owned only by the queue, so a
/// bank freed in the callback would count).
fn workload(mut leak: impl FnMut(usize)) -> u64 {
    let (mut core, shared) = core(2);
    let mut banks: Vec<Arc<SampleBank>> =
        (0..15).map(|i| tick_bank(0.1 + i as f32 * 0.01)).collect();
    let mut retired: Vec<Arc<SampleBank>> = Vec::with_capacity(64);
    let mut out = vec![0.0f32; BLOCK * 2];
    core.process(&mut out, timing(0, 0), |x| x);
    let kinds = [
        Instrument::Kick,
        Instrument::Snare,
        Instrument::Pluck,
        Instrument::Pad,
        Instrument::Hat,
    ];
    let mut pushed = Vec::new();
    for block in 0..300u64 {
        let mut batch = Vec::new();
        for i in 0..40u64 {
            let f = (block * BLOCK as u64 + i * 37).saturating_sub(200);
            let kind = kinds[(i % 5) as usize];
            batch.push(AudioMsg::Note {
                at_ns: frame_ns(f),
                spec: NoteSpec::new(kind, 100.0 + i as f32, 4_000),
            });
            if i % 8 == 0 {
                batch.push(AudioMsg::Note {
                    at_ns: frame_ns(f),
                    spec: NoteSpec::sample("tick", 0),
                });
            }
        }
        if block % 50 == 7 {
            batch.push(AudioMsg::Reset);
        }
        pushed.push(batch);
    }
    banks.reverse();
    let n = allocations_in(|| {
        for (b, batch) in pushed.iter().enumerate() {
            if b % 20 == 3 {
                if let Some(bank) = banks.pop() {
                    let _ = shared.banks.push(bank);
                }
            }
            for m in batch {
                let _ = shared.queue.push(*m);
            }
            core.process(&mut out, timing(core.frame(), 0), |x| x);
            leak(b);
            // Stand in for the supervisor: recycle the faded synth as a spare, so every
            // reset finds one without an allocation here (its old state is irrelevant to
            // this proof).
            if let Some(old) = shared.trash.pop() {
                let _ = shared.spares.push(old);
            }
            // Keep retired banks (within reserved capacity) to free after the proof.
            while let Some(old) = shared.bank_trash.pop() {
                retired.push(old);
            }
        }
    });
    assert!(banks.is_empty(), "every bank was pushed");
    assert!(
        retired.len() >= 10,
        "swapped banks come back to be freed off the callback ({})",
        retired.len()
    );
    assert!(shared.counters.late.load(Ordering::Relaxed) > 0);
    assert!(shared.counters.sent.load(Ordering::Relaxed) > 1_000);
    drop(core);
    n
}

#[test]
fn the_callback_never_allocates() {
    assert_eq!(workload(|_| {}), 0);
}

#[test]
fn negative_control_catches_an_allocation() {
    let mut kept = Vec::new();
    assert!(workload(|b| kept.push(vec![b; 2])) > 0);
}

#[test]
fn notes_beyond_the_synths_queue_are_dropped_and_counted() {
    let (mut core, shared) = core(2);
    run(&mut core, 1, 2);
    let n = patter_synth::DEFAULT_QUEUE_CAPACITY as u64 + 100;
    for i in 0..n {
        shared
            .queue
            .push(AudioMsg::Note {
                at_ns: frame_ns(1_000_000 + i),
                spec: click(),
            })
            .unwrap();
    }
    run(&mut core, 1, 2);
    assert_eq!(shared.counters.dropped.load(Ordering::Relaxed), 100);
    assert_eq!(
        shared.counters.sent.load(Ordering::Relaxed),
        patter_synth::DEFAULT_QUEUE_CAPACITY as u64
    );
    assert_eq!(
        shared.depth.load(Ordering::Relaxed),
        patter_synth::DEFAULT_QUEUE_CAPACITY
    );
}

#[test]
fn a_bank_from_the_loader_plays_its_samples_and_the_old_one_comes_back() {
    let (mut core, shared) = core(2);
    run(&mut core, 1, 2);
    // Before the bank arrives, a sample note finds no folder: silence.
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: frame_ns(1_000),
            spec: NoteSpec::sample("tick", 0),
        })
        .unwrap();
    assert!(run(&mut core, 8, 2).iter().all(|x| *x == 0.0));
    shared.banks.push(tick_bank(0.5)).unwrap();
    shared
        .queue
        .push(AudioMsg::Note {
            at_ns: frame_ns(4_000),
            spec: NoteSpec::sample("tick", 0),
        })
        .unwrap();
    let left = run(&mut core, 24, 2);
    assert_eq!(onsets(&left, 100), vec![4_000 - 2_304]);
    // The empty bank it replaced is handed back to be freed off the callback.
    assert!(shared.bank_trash.pop().is_some());
    assert!(shared.banks.is_empty());
}
