//! Conformance with SuperCollider's default Event model (worked values from
//! `shared/reference/sc-event-model.md`, checked against sclang 3.13).
#![allow(clippy::unwrap_used)]

use patter_pattern::pitch::{self, degree_to_key, midi_to_freq, ScaleRef};
use patter_pattern::scale;
use patter_pattern::{Key, Value};
use std::sync::Arc;

const MAJOR: ScaleRef<'static> = ScaleRef::Steps(&[0., 2., 4., 5., 7., 9., 11.]);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn params(kv: &[(&str, Value)]) -> Vec<(Key, Value)> {
    kv.iter().map(|(k, v)| (Key::new(k), v.clone())).collect()
}

fn derived(kv: &[(&str, Value)]) -> Vec<(Key, Value)> {
    let mut p = params(kv);
    pitch::derive(&mut p);
    p
}

fn get(p: &[(Key, Value)], k: &str) -> Option<f64> {
    p.iter()
        .find(|(key, _)| &**key == k)
        .and_then(|(_, v)| v.as_num())
}

fn n(x: f64) -> Value {
    Value::Num(x)
}

#[test]
fn degree_zero_is_middle_c() {
    let p = derived(&[("degree", n(0.0))]);
    assert!(close(get(&p, "midinote").unwrap(), 60.0));
    assert!((get(&p, "freq").unwrap() - 261.6256).abs() < 1e-4);
    // Defaults alone (the default instrument is pitched) give the same.
    let p = derived(&[]);
    assert!(close(get(&p, "midinote").unwrap(), 60.0));
}

#[test]
fn degrees_wrap_by_octave_with_floor_division() {
    assert!(close(degree_to_key(7.0, MAJOR, 12.0), 12.0));
    assert!(close(degree_to_key(-1.0, MAJOR, 12.0), -1.0));
    assert!(close(degree_to_key(-8.0, MAJOR, 12.0), -13.0));
    let midi = |d: f64| get(&derived(&[("degree", n(d))]), "midinote").unwrap();
    assert!(close(midi(7.0), 72.0));
    assert!(close(midi(-1.0), 59.0));
    assert!(close(midi(-8.0), 47.0));
}

#[test]
fn accidentals_round_half_up_then_add_tenths_as_semitones() {
    // 2.1 is degree 2 sharp.
    assert!(close(degree_to_key(2.1, MAJOR, 12.0), 5.0));
    // 1.1 is degree 1 sharp, with SC's float error.
    assert!((degree_to_key(1.1, MAJOR, 12.0) - 3.0).abs() < 1e-12);
    // 1.9 is degree 2 flat.
    assert!(close(degree_to_key(1.9, MAJOR, 12.0), 3.0));
    // 1.5 rounds up to 2 and subtracts 5 semitones: not a quarter tone.
    assert!(close(degree_to_key(1.5, MAJOR, 12.0), -1.0));
    assert!(close(degree_to_key(0.5, MAJOR, 12.0), -3.0));
    assert!(close(degree_to_key(-1.5, MAJOR, 12.0), -6.0));
}

#[test]
fn ctranspose_changes_freq_only() {
    let p = derived(&[("ctranspose", n(12.0))]);
    assert!(close(get(&p, "midinote").unwrap(), 60.0));
    assert!((get(&p, "freq").unwrap() - 2.0 * midi_to_freq(60.0)).abs() < 1e-9);
}

#[test]
fn octave_root_and_transpositions() {
    let midi = |kv: &[(&str, Value)]| get(&derived(kv), "midinote").unwrap();
    assert!(close(midi(&[("octave", n(4.0))]), 48.0));
    assert!(close(midi(&[("root", n(2.0))]), 62.0));
    // mtranspose moves in scale degrees: degree 0 + 2 = E.
    assert!(close(midi(&[("mtranspose", n(2.0))]), 64.0));
    assert!(close(
        midi(&[("degree", n(1.0)), ("mtranspose", n(1.0))]),
        64.0
    ));
    // gtranspose moves in steps after the scale.
    assert!(close(
        midi(&[("degree", n(2.0)), ("gtranspose", n(1.0))]),
        65.0
    ));
}

#[test]
fn steps_per_octave_with_a_user_scale() {
    // 19-TET: degree 1 of [0, 3, 6, …] is 3 steps of 19 per octave.
    let scale = Value::Chord(Arc::from(vec![n(0.0), n(3.0), n(6.0), n(8.0), n(11.0)]));
    let p = derived(&[
        ("scale", scale.clone()),
        ("stepsPerOctave", n(19.0)),
        ("degree", n(1.0)),
    ]);
    assert!(close(
        get(&p, "midinote").unwrap(),
        60.0 + 3.0 * 12.0 / 19.0
    ));
    // Degree 5 wraps to the next 19-step octave.
    let p = derived(&[
        ("scale", scale),
        ("stepsPerOctave", n(19.0)),
        ("degree", n(5.0)),
    ]);
    assert!(close(get(&p, "midinote").unwrap(), 72.0));
}

#[test]
fn named_scales() {
    let midi = |kv: &[(&str, Value)]| get(&derived(kv), "midinote").unwrap();
    assert!(close(
        midi(&[("scale", Value::str("dorian")), ("degree", n(2.0))]),
        63.0
    ));
    assert!(close(
        midi(&[("scale", Value::str("minorPentatonic")), ("degree", n(5.0))]),
        72.0
    ));
    // 24-TET: ajam degree 1 is 4 quarter tones = 2 semitones; root stays in semitones.
    assert!(close(
        midi(&[("scale", Value::str("ajam")), ("degree", n(1.0))]),
        62.0
    ));
    assert!(close(
        midi(&[("scale", Value::str("rast")), ("degree", n(2.0))]),
        63.5
    ));
}

#[test]
fn harmonic_and_detune() {
    let p = derived(&[("harmonic", n(2.0))]);
    assert!((get(&p, "freq").unwrap() - 2.0 * midi_to_freq(60.0)).abs() < 1e-9);
    let p = derived(&[("detune", n(5.0))]);
    assert!((get(&p, "freq").unwrap() - (midi_to_freq(60.0) + 5.0)).abs() < 1e-9);
}

#[test]
fn given_keys_bypass_the_levels_above() {
    let p = derived(&[("freq", n(300.0)), ("degree", n(4.0))]);
    assert_eq!(get(&p, "freq"), Some(300.0));
    assert_eq!(get(&p, "midinote"), None);
    let p = derived(&[("midinote", n(69.0)), ("degree", n(4.0))]);
    assert!(close(get(&p, "freq").unwrap(), 440.0));
    let p = derived(&[("note", n(7.0)), ("degree", n(4.0))]);
    assert!(close(get(&p, "midinote").unwrap(), 67.0));
}

#[test]
fn levels() {
    let p = derived(&[]);
    assert!(close(get(&p, "amp").unwrap(), 0.1));
    assert_eq!(get(&p, "velocity"), Some(13.0));
    let p = derived(&[("db", n(-20.0))]);
    assert!(close(get(&p, "amp").unwrap(), 0.1));
    let p = derived(&[("db", n(0.0))]);
    assert!(close(get(&p, "amp").unwrap(), 1.0));
    assert_eq!(get(&p, "velocity"), Some(127.0));
    let p = derived(&[("amp", n(0.5)), ("db", n(0.0))]);
    assert!(close(get(&p, "amp").unwrap(), 0.5));
    let p = derived(&[("amp", n(0.0))]);
    assert_eq!(get(&p, "velocity"), Some(1.0));
    let p = derived(&[("velocity", n(100.0))]);
    assert_eq!(get(&p, "velocity"), Some(100.0));
}

#[test]
fn durations() {
    assert!(close(pitch::sustain(1.0, 0.8, 1.0), 0.8));
    assert!(close(pitch::sustain(0.5, 0.5, 2.0), 0.5));
    assert!(close(pitch::delta(0.5, 2.0), 1.0));
}

#[test]
fn scale_directory_matches_sc() {
    // SC's ScaleInfo has 109 entries with 2 repeated keys (zanjaran, and melodicMinor,
    // sikah, nahawand redefined as ScaleAD): 107 distinct names.
    assert_eq!(scale::names().count(), 107);
    let mut names: Vec<_> = scale::names().collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 107);
    let s = scale::lookup("harmonicMinor").unwrap();
    assert_eq!(s.degrees, &[0., 2., 3., 5., 7., 8., 11.]);
    assert_eq!(
        scale::lookup("ionian").unwrap().degrees,
        scale::lookup("major").unwrap().degrees
    );
    assert_eq!(
        scale::lookup("majorPentatonic").unwrap().degrees,
        &[0., 2., 4., 7., 9.]
    );
    assert_eq!(
        scale::lookup("chromatic24").unwrap().pitches_per_octave,
        24.0
    );
    assert_eq!(scale::lookup("chromatic24").unwrap().degrees.len(), 24);
    assert_eq!(
        scale::lookup("zanjaran").unwrap().degrees,
        &[0., 2., 8., 10., 14., 16., 22.]
    );
    let o1 = scale::lookup("partch_o1").unwrap();
    assert_eq!(o1.pitches_per_octave, 43.0);
    // Partch step 25 is 3/2: a just fifth.
    assert!((o1.semitones_at(4) - 12.0 * 1.5f64.log2()).abs() < 1e-12);
    assert!(scale::lookup("nope").is_none());
}
