//! Cost of rendering 64 sounding voices at 48 kHz in 256-frame blocks. Criterion reports the
//! time per block; a block lasts 256 / 48000 s = 5.333 ms of audio, so the fraction of one
//! core's real time is (time per block) / 5.333 ms, printed once at the start. A second
//! benchmark adds sample voices and the reverb and delay buses.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;

use patter_synth::{Instrument, NoteSpec, Sample, SampleBank, Synth};

const SR: u32 = 48_000;
const BLOCK: usize = 256;
const VOICES: usize = 64;

/// A synth with 64 voices sounding (a mix of every tonal instrument, filter partly closed)
/// that keep sounding for minutes.
fn loaded() -> Synth {
    let mut s = Synth::new(SR, VOICES);
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
        s.note(0, n);
    }
    let mut out = vec![0.0; BLOCK * 2];
    s.render(&mut out);
    assert_eq!(s.active_voices(), VOICES);
    s
}

/// 64 voices again, half of them sample voices (mono and stereo, some reversed, some
/// filtered), every voice sending to the reverb and the delay.
fn loaded_with_effects() -> Synth {
    let tone: Vec<f32> = (0..48_000 * 20)
        .map(|i| (i as f32 * 0.013).sin() * 0.3)
        .collect();
    let stereo: Vec<f32> = tone.iter().flat_map(|&x| [x, -x]).collect();
    let bank = Arc::new(SampleBank::from_folders(
        SR,
        vec![(
            "loop".to_string(),
            vec![
                Sample::from_interleaved(&tone, 1, SR, SR),
                Sample::from_interleaved(&stereo, 2, SR, SR),
            ],
        )],
    ));
    let mut s = Synth::with_samples(SR, VOICES, bank);
    let kinds = [Instrument::Saw, Instrument::Pluck, Instrument::Pad];
    for i in 0..VOICES {
        let mut n = if i % 2 == 0 {
            let mut n = NoteSpec::sample("loop", i as i64);
            n.speed = if i % 4 == 0 { 0.75 } else { -1.25 };
            n.begin = 0.0;
            n.end = 1.0;
            if i % 8 == 0 {
                n.cutoff = 3_000.0;
            }
            n
        } else {
            NoteSpec::new(kinds[i % kinds.len()], 110.0 + 7.0 * i as f32, u32::MAX / 2)
        };
        n.amp = 0.1;
        n.room = 0.3;
        n.delay = 0.2;
        s.note(0, n);
    }
    let mut out = vec![0.0; BLOCK * 2];
    s.render(&mut out);
    assert_eq!(s.active_voices(), VOICES);
    s
}

fn headline(label: &str, s: &mut Synth, out: &mut [f32]) {
    let blocks = 2_000;
    let t0 = Instant::now();
    for _ in 0..blocks {
        s.render(black_box(&mut *out));
    }
    let per_block = t0.elapsed().as_secs_f64() / blocks as f64;
    let budget = BLOCK as f64 / SR as f64;
    println!(
        "{label}, {SR} Hz, {BLOCK}-frame blocks: {:.1} us per block = {:.3} of real time on one core",
        per_block * 1e6,
        per_block / budget
    );
}

fn bench_effects(c: &mut Criterion) {
    let mut s = loaded_with_effects();
    let mut out = vec![0.0f32; BLOCK * 2];
    headline(
        "64 voices (32 sample voices), reverb and delay sends",
        &mut s,
        &mut out,
    );
    c.bench_function(
        "render 64 voices with samples and effects 256 frames",
        |b| b.iter(|| s.render(black_box(&mut out))),
    );
}

fn bench(c: &mut Criterion) {
    let mut s = loaded();
    let mut out = vec![0.0f32; BLOCK * 2];
    // One plain measurement for the headline figure, independent of criterion's output.
    let blocks = 2_000;
    let t0 = Instant::now();
    for _ in 0..blocks {
        s.render(black_box(&mut out));
    }
    let per_block = t0.elapsed().as_secs_f64() / blocks as f64;
    let budget = BLOCK as f64 / SR as f64;
    println!(
        "64 voices, {SR} Hz, {BLOCK}-frame blocks: {:.1} us per block = {:.3} of real time on one core",
        per_block * 1e6,
        per_block / budget
    );
    c.bench_function("render 64 voices 256 frames", |b| {
        b.iter(|| s.render(black_box(&mut out)))
    });
}

criterion_group!(benches, bench, bench_effects);
criterion_main!(benches);
