//! Cost of the live audio callback body ([`AudioCore::process`]: drain the note queue, map
//! onsets to frames, render the synth, write the device's channels) with 64 sounding voices
//! at 48 kHz in 256-frame stereo buffers. A buffer lasts 256 / 48000 s = 5.333 ms, so the
//! fraction of one core's real time is (time per callback) / 5.333 ms, printed once first.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use patter_runtime::sink::audio::core::{AudioCore, AudioMsg, AudioShared, CallbackTiming};
use patter_synth::{Instrument, NoteSpec};

const SR: u32 = 48_000;
const BLOCK: usize = 256;
const VOICES: usize = 64;

struct Rig {
    core: AudioCore,
    frame: u64,
    out: Vec<f32>,
}

impl Rig {
    fn callback(&mut self) {
        let ns = (self.frame as f64 * 1e9 / f64::from(SR)) as i64;
        let timing = CallbackTiming {
            engine_now_ns: ns,
            latency_ns: 0,
            stream_ns: Some(ns),
        };
        self.core.process(black_box(&mut self.out), timing, |x| x);
        self.frame += BLOCK as u64;
    }
}

/// A callback with 64 voices sounding (every tonal instrument, filter partly closed) that
/// keep sounding for minutes.
fn loaded() -> Rig {
    let shared = Arc::new(AudioShared::new());
    let mut rig = Rig {
        core: AudioCore::new(shared.clone(), SR, 2, VOICES),
        frame: 0,
        out: vec![0.0; BLOCK * 2],
    };
    rig.callback();
    let kinds = [
        Instrument::Sine,
        Instrument::Saw,
        Instrument::Square,
        Instrument::Pluck,
        Instrument::Bass,
        Instrument::Pad,
    ];
    for i in 0..VOICES {
        let mut n = NoteSpec::new(kinds[i % kinds.len()], 110.0 + 7.0 * i as f32, u32::MAX / 2);
        n.cutoff = 2_000.0;
        n.resonance = 0.3;
        n.amp = 0.1;
        let at_ns = (BLOCK as f64 * 1e9 / f64::from(SR)) as i64;
        assert!(shared.queue.push(AudioMsg::Note { at_ns, spec: n }).is_ok());
    }
    rig.callback();
    rig.callback();
    assert_eq!(
        shared
            .counters
            .sent
            .load(std::sync::atomic::Ordering::Relaxed),
        64
    );
    rig
}

fn bench(c: &mut Criterion) {
    let mut rig = loaded();
    let callbacks = 2_000;
    let mut times: Vec<f64> = Vec::with_capacity(callbacks);
    for _ in 0..callbacks {
        let t0 = Instant::now();
        rig.callback();
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize] * 1e6;
    let budget = BLOCK as f64 / f64::from(SR) * 1e6;
    println!(
        "audio callback, 64 voices, {SR} Hz, {BLOCK}-frame stereo buffers: p50 {:.1} us, p99 {:.1} us, max {:.1} us per callback = {:.3} / {:.3} of real time on one core (p50 / p99)",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        pct(0.5) / budget,
        pct(0.99) / budget
    );
    c.bench_function("audio callback 64 voices 256 frames", |b| {
        b.iter(|| rig.callback())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
