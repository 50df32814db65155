//! The ADSR envelope to the exact frame (seen through a constant sample, so the output is
//! the envelope itself), and the global reverb and delay buses: sends, `dry`, exact echo
//! positions, settings that persist, tails, and block-size independence.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use patter_synth::{render_offline_with, Instrument, NoteSpec, Sample, SampleBank};

const SR: u32 = 48_000;

/// Folder `dc`: one second of 0.5; folder `click`: a single 0.5 then silence.
fn bank() -> Arc<SampleBank> {
    let mut click = vec![0.0; 10];
    click[0] = 0.5;
    Arc::new(SampleBank::from_folders(
        SR,
        vec![
            (
                "dc".to_string(),
                vec![Sample::from_interleaved(&[0.5; 48_000], 1, SR, SR)],
            ),
            (
                "click".to_string(),
                vec![Sample::from_interleaved(&click, 1, SR, SR)],
            ),
        ],
    ))
}

fn left(out: &[f32]) -> Vec<f32> {
    out.iter().step_by(2).copied().collect()
}

/// A constant 0.5 hard left, gated for `gate` frames with the given ADSR (in frames).
fn adsr(gate: u32, a: u32, d: u32, s: f32, r: u32) -> NoteSpec {
    let secs = |f: u32| f as f32 / SR as f32;
    let mut n = NoteSpec::sample("dc", 0);
    n.amp = 1.0;
    n.pan = -1.0;
    n.sustain_frames = gate;
    n.attack = secs(a);
    n.decay = secs(d);
    n.sustain_level = s;
    n.release = secs(r);
    n
}

#[test]
fn adsr_segments_have_exact_lengths() {
    let (at, gate, a, d, s, r) = (100u64, 1_000u32, 48u32, 96u32, 0.5f32, 240u32);
    let out = render_offline_with(&[(at, adsr(gate, a, d, s, r))], 2_000, SR, 128, bank());
    let l = left(&out);
    let env = |t: u32| l[at as usize + t as usize] / 0.5;
    assert!(l[..at as usize].iter().all(|&x| x == 0.0));
    // Attack: a linear rise reaching 1 on its last frame.
    assert_eq!(env(0), 1.0 / a as f32);
    assert_eq!(env(a - 1), 1.0);
    // Decay: down to the sustain level on its last frame.
    assert!(env(a) < 1.0 && env(a) > s);
    assert_eq!(env(a + d - 1), s);
    // Sustain: held until the gate ends.
    assert!((a + d..gate).all(|t| env(t) == s));
    // Release: linear to zero, exactly `r` frames after the gate.
    assert_eq!(env(gate), s * (1.0 - 1.0 / r as f32));
    assert!(env(gate + r - 2) > 0.0);
    let last = l.iter().rposition(|&x| x != 0.0).unwrap();
    assert_eq!(last, at as usize + (gate + r) as usize - 2);
    assert_eq!(env(gate + r - 1), 0.0);
}

#[test]
fn a_gate_shorter_than_attack_and_decay_releases_from_where_it_was() {
    let out = render_offline_with(&[(0, adsr(24, 48, 96, 0.5, 10))], 100, SR, 64, bank());
    let l = left(&out);
    let peak = 24.0 / 48.0;
    assert_eq!(l[23] / 0.5, peak);
    assert_eq!(l[24] / 0.5, peak * (1.0 - 0.1));
    assert_eq!(l.iter().rposition(|&x| x != 0.0), Some(24 + 10 - 2));
}

#[test]
fn sustain_level_zero_is_a_percussive_envelope() {
    // Attack 10, decay 90, then silence while the gate is still open.
    let out = render_offline_with(&[(0, adsr(1_000, 10, 90, 0.0, 50))], 1_200, SR, 64, bank());
    let l = left(&out);
    assert_eq!(l[9], 0.5);
    assert_eq!(l.iter().rposition(|&x| x != 0.0), Some(98));
}

#[test]
fn tonal_instruments_follow_decay_and_sustain_level() {
    // A saw at sustain level 0.25 is quieter in its sustain than at 1.
    let energy = |level: f32| {
        let mut n = NoteSpec::new(Instrument::Saw, 220.0, 20_000);
        n.decay = 0.01;
        n.sustain_level = level;
        let out = render_offline_with(&[(0, n)], 20_000, SR, 256, bank());
        out[10_000..20_000].iter().map(|x| x * x).sum::<f32>()
    };
    let (full, quarter) = (energy(1.0), energy(0.25));
    assert!((quarter / full - 0.0625).abs() < 0.01, "{full} {quarter}");
}

/// The click hard left with the given sends.
fn click(room: f32, delay: f32, dry: f32) -> NoteSpec {
    let mut n = NoteSpec::sample("click", 0);
    n.amp = 1.0;
    n.pan = -1.0;
    n.room = room;
    n.delay = delay;
    n.dry = dry;
    n
}

#[test]
fn the_delay_repeats_at_exact_frames_with_feedback() {
    let mut n = click(0.0, 1.0, 0.0);
    n.delaytime = Some(0.01); // 480 frames
    n.delayfeedback = Some(0.5);
    let out = render_offline_with(&[(100, n)], 3_000, SR, 100, bank());
    let l = left(&out);
    let hits: Vec<(usize, f32)> = l
        .iter()
        .enumerate()
        .filter(|(_, &x)| x != 0.0)
        .map(|(i, &x)| (i, x))
        .collect();
    // The direct click, then echoes halving every 480 frames.
    assert_eq!(
        hits,
        vec![
            (100, 0.5),
            (580, 0.5),
            (1_060, 0.25),
            (1_540, 0.125),
            (2_020, 0.0625),
            (2_500, 0.03125),
            (2_980, 0.015625)
        ]
    );
}

#[test]
fn delay_settings_persist_for_later_notes() {
    let mut first = click(0.0, 0.0, 0.0);
    first.delaytime = Some(0.001); // 48 frames
    first.delayfeedback = Some(0.0);
    let second = click(0.0, 1.0, 0.0);
    let out = render_offline_with(&[(0, first), (10, second)], 200, SR, 7, bank());
    let l = left(&out);
    let hits: Vec<usize> = (0..l.len()).filter(|&i| l[i] != 0.0).collect();
    assert_eq!(hits, vec![0, 10, 58]);
    assert_eq!(l[58], 0.5);
}

#[test]
fn dry_one_turns_the_reverb_off() {
    let render = |room: f32, dry: f32| {
        render_offline_with(&[(0, click(room, 0.0, dry))], 10_000, SR, 256, bank())
    };
    let plain = render(0.0, 0.0);
    assert_eq!(render(1.0, 1.0), plain);
    assert_ne!(render(1.0, 0.5), plain);
    assert_ne!(render(1.0, 0.5), render(1.0, 0.0));
}

#[test]
fn the_reverb_leaves_a_tail_that_grows_with_size() {
    let tail = |room: f32, size: f32| {
        let mut n = click(room, 0.0, 0.0);
        n.size = Some(size);
        let out = render_offline_with(&[(0, n)], 48_000, SR, 256, bank());
        let late: f32 = out[2 * 24_000..].iter().map(|x| x * x).sum();
        let early: f32 = out[2..2 * 4_800].iter().map(|x| x * x).sum();
        (early, late)
    };
    assert_eq!(tail(0.0, 0.5), (0.0, 0.0), "no send, no reverb");
    let (small_early, small_late) = tail(1.0, 0.1);
    let (big_early, big_late) = tail(1.0, 0.95);
    assert!(small_early > 0.0 && big_early > 0.0);
    assert!(big_late > small_late * 10.0, "{small_late} {big_late}");
}

#[test]
fn effects_are_block_size_independent() {
    let mut notes = Vec::new();
    for i in 0..60u64 {
        let mut n = NoteSpec::new(
            [Instrument::Pluck, Instrument::Snare, Instrument::Saw][i as usize % 3],
            110.0 * (1 + i % 5) as f32,
            3_000,
        );
        n.room = (i % 4) as f32 / 3.0;
        n.delay = (i % 3) as f32 / 2.0;
        n.dry = (i % 5) as f32 / 8.0;
        if i % 7 == 0 {
            n.size = Some((i % 10) as f32 / 10.0);
            n.delaytime = Some(0.01 * (1 + i % 4) as f32);
            n.delayfeedback = Some(0.7);
        }
        notes.push((i * 701, n));
    }
    let reference = render_offline_with(&notes, 60_000, SR, 256, bank());
    assert!(reference.iter().any(|x| x.abs() > 0.01));
    for block in [1, 13, 255, 4_096] {
        let other = render_offline_with(&notes, 60_000, SR, block, bank());
        assert!(reference == other, "block size {block}");
    }
}
