//! The sampler: WAV files the test writes in SuperDirt's folder layout come out with their
//! exact values at their exact frames; file numbering wraps; speed, reverse, begin/end,
//! resampling, stereo, missing names and bank swaps.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use patter_synth::{
    render_offline_stats, render_offline_with, NoteSpec, Sample, SampleBank, SampleLibrary, Synth,
};

const SR: u32 = 48_000;

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("patter-sampler-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_int(path: &Path, rate: u32, channels: u16, bits: u16, values: &[i32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in values {
        match bits {
            16 => w.write_sample(v as i16).unwrap(),
            _ => w.write_sample(v).unwrap(),
        }
    }
    w.finalize().unwrap();
}

fn write_float(path: &Path, rate: u32, channels: u16, values: &[f32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in values {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
}

/// Folder `bd` with four files of every supported kind, named so that sorting matters,
/// plus a file that is not a WAV.
fn kit(root: &Path) {
    let bd = root.join("bd");
    std::fs::create_dir_all(&bd).unwrap();
    // 16-bit mono: 0.25, 0.5, -0.125.
    write_int(&bd.join("BD0.wav"), SR, 1, 16, &[8_192, 16_384, -4_096]);
    // 24-bit mono: 0.5, 0.25.
    write_int(&bd.join("BD1.WAV"), SR, 1, 24, &[4_194_304, 2_097_152]);
    // 32-bit int mono: -0.5.
    write_int(&bd.join("bd2.wav"), SR, 1, 32, &[-1_073_741_824]);
    // 32-bit float stereo: (0.1, 0.2), (0.3, 0.4).
    write_float(&bd.join("bd3.wav"), SR, 2, &[0.1, 0.2, 0.3, 0.4]);
    std::fs::write(bd.join("readme.txt"), "not a sample").unwrap();
}

fn bank_from(root: &Path, names: &[&str]) -> Arc<SampleBank> {
    let (lib, warnings) = SampleLibrary::scan(&[root.to_path_buf()]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (bank, warnings) = lib.load(names.iter().copied(), SR);
    assert!(warnings.is_empty(), "{warnings:?}");
    Arc::new(bank)
}

/// A sample note hard left at full amplitude: the left channel is the sample's own value.
fn hard_left(name: &str, index: i64) -> NoteSpec {
    let mut n = NoteSpec::sample(name, index);
    n.amp = 1.0;
    n.pan = -1.0;
    n
}

fn left(out: &[f32]) -> Vec<f32> {
    out.iter().step_by(2).copied().collect()
}

fn right(out: &[f32]) -> Vec<f32> {
    out.iter().skip(1).step_by(2).copied().collect()
}

#[test]
fn files_are_numbered_by_sorted_name_and_play_exactly() {
    let root = temp_dir("numbered");
    kit(&root);
    let bank = bank_from(&root, &["bd"]);
    assert_eq!(bank.count("bd"), 4);
    let expect: [&[f32]; 3] = [&[0.25, 0.5, -0.125], &[0.5, 0.25], &[-0.5]];
    for (i, want) in expect.iter().enumerate() {
        let out = render_offline_with(&[(10, hard_left("bd", i as i64))], 20, SR, 7, bank.clone());
        let l = left(&out);
        assert!(l[..10].iter().all(|&x| x == 0.0), "file {i}");
        assert_eq!(&l[10..10 + want.len()], *want, "file {i}");
        assert!(l[10 + want.len()..].iter().all(|&x| x == 0.0), "file {i}");
        assert!(right(&out).iter().all(|&x| x == 0.0));
    }
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn the_file_index_wraps_like_superdirt() {
    let root = temp_dir("wrap");
    kit(&root);
    let bank = bank_from(&root, &["bd"]);
    let play = |i: i64| render_offline_with(&[(0, hard_left("bd", i))], 8, SR, 64, bank.clone());
    assert_eq!(play(4), play(0));
    assert_eq!(play(6), play(2));
    assert_eq!(play(-1), play(3));
    assert_ne!(play(1), play(0));
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_stereo_file_keeps_its_channels_at_the_centre() {
    let root = temp_dir("stereo");
    kit(&root);
    let bank = bank_from(&root, &["bd"]);
    let mut n = NoteSpec::sample("bd", 3);
    n.amp = 1.0;
    let out = render_offline_with(&[(0, n)], 4, SR, 64, bank);
    assert_eq!(out, vec![0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 0.0]);
    std::fs::remove_dir_all(&root).ok();
}

fn ramp_bank() -> Arc<SampleBank> {
    // 0.01 · i for i in 0..10, at the output rate.
    let ramp: Vec<f32> = (0..10).map(|i| i as f32 * 0.01).collect();
    Arc::new(SampleBank::from_folders(
        SR,
        vec![(
            "ramp".to_string(),
            vec![Sample::from_interleaved(&ramp, 1, SR, SR)],
        )],
    ))
}

#[test]
fn speed_reverse_begin_and_end() {
    let bank = ramp_bank();
    let play = |speed: f32, begin: f32, end: f32| {
        let mut n = hard_left("ramp", 0);
        n.speed = speed;
        n.begin = begin;
        n.end = end;
        let out = render_offline_with(&[(0, n)], 12, SR, 5, bank.clone());
        let l = left(&out);
        let last = l.iter().rposition(|&x| x != 0.0).map_or(0, |i| i + 1);
        l[..last.max(1)].to_vec()
    };
    let r = |v: &[i32]| v.iter().map(|&i| i as f32 * 0.01).collect::<Vec<f32>>();
    // Sample 0 is silent itself, so compare from the first frame.
    assert_eq!(play(1.0, 0.0, 1.0), r(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    assert_eq!(play(2.0, 0.0, 1.0), r(&[0, 2, 4, 6, 8]));
    assert_eq!(play(-1.0, 0.0, 1.0), r(&[9, 8, 7, 6, 5, 4, 3, 2, 1]));
    assert_eq!(play(-3.0, 0.0, 1.0), r(&[9, 6, 3]));
    assert_eq!(play(1.0, 0.5, 0.8), r(&[5, 6, 7]));
    assert_eq!(play(-1.0, 0.5, 0.8), r(&[7, 6, 5]));
    // Half speed interpolates linearly between frames.
    let half = play(0.5, 0.0, 0.3);
    let want = [0.0, 0.005, 0.01, 0.015, 0.02, 0.025];
    assert_eq!(half.len(), want.len());
    for (a, b) in half.iter().zip(want) {
        assert!((a - b).abs() < 1e-7, "{half:?}");
    }
    // An empty region plays nothing.
    assert_eq!(play(1.0, 0.8, 0.2), vec![0.0]);
}

#[test]
fn files_at_another_rate_are_resampled_when_loaded() {
    let root = temp_dir("rate");
    let dir = root.join("tone");
    std::fs::create_dir_all(&dir).unwrap();
    write_float(&dir.join("a.wav"), SR / 2, 1, &[0.0, 0.5, 0.25]);
    let bank = bank_from(&root, &["tone"]);
    let out = render_offline_with(&[(0, hard_left("tone", 0))], 8, SR, 64, bank);
    // Twice as many frames, the new ones halfway between; the last holds.
    assert_eq!(
        left(&out),
        vec![0.0, 0.25, 0.5, 0.375, 0.25, 0.25, 0.0, 0.0]
    );
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn the_first_root_wins_and_only_asked_folders_load() {
    let (a, b) = (temp_dir("root-a"), temp_dir("root-b"));
    for (root, v) in [(&a, 0.5f32), (&b, 0.25)] {
        let d = root.join("x");
        std::fs::create_dir_all(&d).unwrap();
        write_float(&d.join("0.wav"), SR, 1, &[v]);
        let d = root.join("y");
        std::fs::create_dir_all(&d).unwrap();
        write_float(&d.join("0.wav"), SR, 1, &[v]);
    }
    let (lib, _) = SampleLibrary::scan(&[a.clone(), b.clone(), a.join("missing")]);
    assert!(lib.contains("x") && lib.contains("y"));
    let (bank, _) = lib.load(["x"], SR);
    assert!(bank.contains("x") && !bank.contains("y"));
    let out = render_offline_with(&[(0, hard_left("x", 0))], 1, SR, 64, Arc::new(bank));
    assert_eq!(out, vec![0.5, 0.0]);
    // An unreadable root is a warning, not an error.
    let (_, warnings) = SampleLibrary::scan(&[a.join("missing")]);
    assert_eq!(warnings.len(), 1);
    std::fs::remove_dir_all(&a).ok();
    std::fs::remove_dir_all(&b).ok();
}

#[test]
fn a_broken_file_is_silent_and_keeps_the_numbering() {
    let root = temp_dir("broken");
    let d = root.join("k");
    std::fs::create_dir_all(&d).unwrap();
    write_float(&d.join("0.wav"), SR, 1, &[0.5]);
    std::fs::write(d.join("1.wav"), b"RIFF nonsense").unwrap();
    write_float(&d.join("2.wav"), SR, 1, &[0.25]);
    let (lib, _) = SampleLibrary::scan(std::slice::from_ref(&root));
    let (bank, warnings) = lib.load(["k"], SR);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(bank.count("k"), 3);
    let bank = Arc::new(bank);
    let play = |i| render_offline_with(&[(0, hard_left("k", i))], 1, SR, 64, bank.clone());
    assert_eq!(play(1), vec![0.0, 0.0]);
    assert_eq!(play(2), vec![0.25, 0.0]);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_missing_name_is_skipped_and_counted() {
    let bank = ramp_bank();
    let (out, stats) = render_offline_stats(
        &[(0, hard_left("nope", 0)), (3, hard_left("ramp", 0))],
        20,
        SR,
        64,
        bank,
    );
    assert_eq!(stats.missing, 1);
    assert_eq!(left(&out)[4], 0.01);
}

#[test]
fn a_bank_swap_lets_playing_samples_finish_and_hands_the_old_bank_back() {
    let long = |v: f32| {
        Arc::new(SampleBank::from_folders(
            SR,
            vec![(
                "s".to_string(),
                vec![Sample::from_interleaved(&[v; 100], 1, SR, SR)],
            )],
        ))
    };
    let (a, b) = (long(0.5), long(0.25));
    let mut synth = Synth::with_samples(SR, 4, a.clone());
    synth.note(0, hard_left("s", 0));
    let mut out = vec![0.0; 2 * 50];
    synth.render(&mut out);
    assert!(synth.set_samples(b.clone()).is_none());
    assert!(synth.take_retired().is_none(), "a voice still reads bank a");
    synth.note(60, hard_left("s", 0));
    synth.render(&mut out);
    let l = left(&out);
    // The first note keeps playing bank a; the second note, after the swap, plays bank b.
    assert_eq!(&l[..10], &[0.5; 10]);
    assert_eq!(&l[10..50], &[0.75; 40]);
    let mut rest = vec![0.0; 2 * 200];
    synth.render(&mut rest);
    let retired = synth.take_retired().unwrap();
    assert!(Arc::ptr_eq(&retired, &a));
    assert!(synth.take_retired().is_none());
    assert!(Arc::ptr_eq(synth.samples(), &b));
}

#[test]
fn a_second_swap_cuts_voices_on_the_oldest_bank() {
    let bank = |v: f32| {
        Arc::new(SampleBank::from_folders(
            SR,
            vec![(
                "s".to_string(),
                vec![Sample::from_interleaved(&[v; 1000], 1, SR, SR)],
            )],
        ))
    };
    let mut synth = Synth::with_samples(SR, 4, bank(0.5));
    synth.note(0, hard_left("s", 0));
    let mut out = vec![0.0; 20];
    synth.render(&mut out);
    assert!(synth.set_samples(bank(0.25)).is_none());
    let oldest = synth.set_samples(bank(0.125)).unwrap();
    assert_eq!(synth.stats().cut_by_swap, 1);
    assert_eq!(synth.active_voices(), 0);
    drop(oldest);
}

#[test]
fn samples_render_identically_whatever_the_block_size() {
    let root = temp_dir("blocks");
    kit(&root);
    let bank = bank_from(&root, &["bd"]);
    let mut notes = Vec::new();
    for i in 0..40u64 {
        let mut n = NoteSpec::sample("bd", i as i64);
        n.speed = [1.0, -0.7, 1.5, 0.33][i as usize % 4];
        n.pan = (i % 3) as f32 - 1.0;
        n.room = 0.5;
        n.delay = 0.3;
        n.cutoff = if i % 2 == 0 { 20_000.0 } else { 900.0 };
        notes.push((i * 3, n));
    }
    let reference = render_offline_with(&notes, 3_000, SR, 256, bank.clone());
    for block in [1, 3, 64, 1000] {
        assert_eq!(
            reference,
            render_offline_with(&notes, 3_000, SR, block, bank.clone()),
            "block {block}"
        );
    }
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn eight_bit_files_and_extra_channels() {
    let root = temp_dir("eight");
    let d = root.join("lofi");
    std::fs::create_dir_all(&d).unwrap();
    let spec = hound::WavSpec {
        channels: 3,
        sample_rate: SR,
        bits_per_sample: 8,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(d.join("a.wav"), spec).unwrap();
    // Two frames of three channels; the third channel is dropped.
    for v in [64i8, -32, 127, -64, 32, 1] {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    let bank = bank_from(&root, &["lofi"]);
    let mut n = NoteSpec::sample("lofi", 0);
    n.amp = 1.0;
    let out = render_offline_with(&[(0, n)], 3, SR, 64, bank);
    assert_eq!(out, vec![0.5, -0.25, -0.5, 0.25, 0.0, 0.0]);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_synth_with_samples_can_move_to_the_audio_thread() {
    fn send<T: Send>() {}
    fn shared<T: Send + Sync>() {}
    send::<Synth>();
    shared::<SampleBank>();
}

/// Folder `long`: two files of one second, 0.5 and 0.25.
fn long_bank() -> Arc<SampleBank> {
    Arc::new(SampleBank::from_folders(
        SR,
        vec![(
            "long".to_string(),
            vec![
                Sample::from_interleaved(&[0.5; 48_000], 1, SR, SR),
                Sample::from_interleaved(&[0.25; 48_000], 1, SR, SR),
            ],
        )],
    ))
}

#[test]
fn a_cut_group_fades_the_previous_note_out_in_5_ms() {
    let with_cut = |index: i64, cut: i32| {
        let mut n = hard_left("long", index);
        n.cut = cut;
        n
    };
    let out = render_offline_with(
        &[(0, with_cut(0, 1)), (1_000, with_cut(1, 1))],
        2_000,
        SR,
        64,
        long_bank(),
    );
    let l = left(&out);
    assert_eq!(l[999], 0.5);
    // 240 frames of fade (5 ms at 48 kHz) under the new note, then the new note alone.
    assert_eq!(l[1_000], 0.5 * (1.0 - 1.0 / 240.0) + 0.25);
    assert!(l[1_000..1_239].windows(2).all(|w| w[1] < w[0]));
    assert!(l[1_239..].iter().all(|&x| x == 0.25));
    // Another group, or none, leaves the first note alone.
    for (a, b) in [(1, 2), (0, 0), (1, 0)] {
        let out = render_offline_with(
            &[(0, with_cut(0, a)), (1_000, with_cut(1, b))],
            2_000,
            SR,
            64,
            long_bank(),
        );
        assert_eq!(left(&out)[1_500], 0.75, "groups {a} {b}");
    }
    // A negative group cuts only the same sample.
    let out = render_offline_with(
        &[(0, with_cut(0, -1)), (1_000, with_cut(1, -1))],
        2_000,
        SR,
        64,
        long_bank(),
    );
    assert_eq!(left(&out)[1_500], 0.75);
    let out = render_offline_with(
        &[(0, with_cut(1, -1)), (1_000, with_cut(1, -1))],
        2_000,
        SR,
        64,
        long_bank(),
    );
    assert_eq!(left(&out)[1_500], 0.25);
}

#[test]
fn a_bank_at_another_rate_keeps_its_pitch() {
    // Loaded for 24 kHz, played at 48 kHz: each value lasts two frames (interpolated).
    let bank = Arc::new(SampleBank::from_folders(
        SR / 2,
        vec![(
            "x".to_string(),
            vec![Sample::from_interleaved(&[0.5, 0.25], 1, SR / 2, SR / 2)],
        )],
    ));
    let out = render_offline_with(&[(0, hard_left("x", 0))], 5, SR, 64, bank);
    assert_eq!(left(&out), vec![0.5, 0.375, 0.25, 0.25, 0.0]);
    // A bank claiming rate 0 plays at ours rather than never ending.
    let odd = Arc::new(SampleBank::from_folders(
        0,
        vec![(
            "x".to_string(),
            vec![Sample::from_interleaved(&[0.5, 0.25], 1, SR, SR)],
        )],
    ));
    let out = render_offline_with(&[(0, hard_left("x", 0))], 3, SR, 64, odd);
    assert_eq!(left(&out), vec![0.5, 0.25, 0.0]);
}

#[test]
fn nonsense_sample_parameters_neither_panic_nor_poison_the_output() {
    let bank = ramp_bank();
    let bad = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -1e30,
        1e30,
        0.0,
        -0.0,
    ];
    let mut notes = Vec::new();
    for (i, &x) in bad.iter().enumerate() {
        for (j, &y) in bad.iter().enumerate() {
            let mut n = NoteSpec::sample("ramp", i64::MIN + j as i64);
            n.speed = x;
            n.begin = y;
            n.end = x;
            n.amp = y;
            n.pan = x;
            n.cutoff = y;
            n.resonance = x;
            n.attack = y;
            n.decay = x;
            n.sustain_level = y;
            n.release = x;
            n.room = y;
            n.delay = x;
            n.dry = y;
            n.size = Some(x);
            n.delaytime = Some(y);
            n.delayfeedback = Some(x);
            n.cut = i as i32 - 3;
            n.sustain_frames = [0, 1, u32::MAX][j % 3];
            notes.push(((i * 7 + j) as u64, n));
        }
    }
    let out = render_offline_with(&notes, 20_000, SR, 100, bank);
    assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
}
