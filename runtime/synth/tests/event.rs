//! Pattern events become note specs: sound names, numeric keys, rests and unknown sounds.
#![cfg(feature = "pattern")]
#![allow(clippy::unwrap_used)]

use patter_pattern::{Event, Params, Time, TimeSpan, Value};
use patter_synth::{spec_from_event, Instrument};

fn event(params: &[(&str, Value)], sustain: f64) -> Event {
    let mut params: Params = params.iter().map(|(k, v)| (*k, v.clone())).collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Event {
        player: 0,
        whole: TimeSpan {
            begin: Time::ZERO,
            end: Time::new(1, 1),
        },
        beat: Time::ZERO,
        dur: Time::new(1, 1),
        sustain,
        params,
    }
}

#[test]
fn drum_names_with_sample_indices() {
    let s = spec_from_event(&event(&[("s", Value::str("sn:3"))], 0.25), 24_000.0).unwrap();
    assert_eq!(s.instrument, Instrument::Snare);
    assert_eq!(s.sustain_frames, 6_000);
}

#[test]
fn numeric_keys_are_read() {
    let ev = event(
        &[
            ("s", Value::str("saw")),
            ("freq", Value::Num(220.0)),
            ("amp", Value::Num(0.25)),
            ("pan", Value::Num(-0.5)),
            ("lpf", Value::Num(800.0)),
            ("resonance", Value::Num(0.4)),
            ("attack", Value::Num(0.01)),
            ("release", Value::Num(0.2)),
        ],
        1.0,
    );
    let s = spec_from_event(&ev, 24_000.0).unwrap();
    assert_eq!(s.instrument, Instrument::Saw);
    assert_eq!((s.freq, s.amp, s.pan), (220.0, 0.25, -0.5));
    assert_eq!((s.cutoff, s.resonance), (800.0, 0.4));
    assert_eq!((s.attack, s.release), (0.01, 0.2));
    assert_eq!(s.sustain_frames, 24_000);
}

#[test]
fn no_sound_name_is_a_sine() {
    let s = spec_from_event(&event(&[("freq", Value::Num(440.0))], 0.5), 1_000.0).unwrap();
    assert_eq!(s.instrument, Instrument::Sine);
    assert_eq!(s.freq, 440.0);
}

#[test]
fn rests_and_unknown_sounds_make_no_note() {
    assert!(spec_from_event(&event(&[("s", Value::Rest)], 1.0), 1_000.0).is_none());
    assert!(spec_from_event(&event(&[("s", Value::str("nope"))], 1.0), 1_000.0).is_none());
    // Nonsense sustain is still a valid note.
    let s = spec_from_event(&event(&[("s", Value::str("bd"))], f64::NAN), 1_000.0).unwrap();
    assert!(s.sustain_frames <= 1);
}

fn kit() -> patter_synth::SampleBank {
    let one = patter_synth::Sample::from_interleaved(&[0.5; 4], 1, 48_000, 48_000);
    patter_synth::SampleBank::from_folders(
        48_000,
        vec![
            ("bd".to_string(), vec![one.clone(), one.clone()]),
            ("jvbass".to_string(), vec![one]),
        ],
    )
}

#[test]
fn a_sample_folder_wins_over_the_built_in_instrument() {
    use patter_synth::{spec_from_event_with, SampleKey, Skip};
    let bank = kit();
    let s = spec_from_event_with(&event(&[("s", Value::str("bd"))], 0.5), 1_000.0, &bank).unwrap();
    assert_eq!(s.sample, Some(SampleKey::new("bd", 0)));
    // No folder: the built-in kick.
    let empty = patter_synth::SampleBank::empty(48_000);
    let s = spec_from_event_with(&event(&[("s", Value::str("bd"))], 0.5), 1_000.0, &empty).unwrap();
    assert_eq!((s.sample, s.instrument), (None, Instrument::Kick));
    // Neither: skipped with the name, so the caller can warn once per name.
    let e = spec_from_event_with(&event(&[("s", Value::str("jvbass"))], 0.5), 1_000.0, &empty);
    assert_eq!(e, Err(Skip::Unknown("jvbass".to_string())));
    assert_eq!(
        spec_from_event_with(&event(&[("s", Value::Rest)], 0.5), 1_000.0, &bank),
        Err(Skip::Rest)
    );
}

#[test]
fn sample_index_speed_and_gate() {
    use patter_synth::{spec_from_event_with, SampleKey};
    let bank = kit();
    let ev = |params: &[(&str, Value)]| spec_from_event_with(&event(params, 0.5), 1_000.0, &bank);
    // `n` gives the file; a `name:N` suffix is used when there is no `n`.
    let s = ev(&[("s", Value::str("bd")), ("n", Value::Num(3.0))]).unwrap();
    assert_eq!(s.sample, Some(SampleKey::new("bd", 3)));
    let s = ev(&[("s", Value::str("bd:5"))]).unwrap();
    assert_eq!(s.sample, Some(SampleKey::new("bd", 5)));
    // Without sustain or legato keys a sample plays to its end.
    assert_eq!(s.sustain_frames, u32::MAX);
    assert_eq!((s.attack, s.release, s.speed), (0.0, 0.0, 1.0));
    let s = ev(&[("s", Value::str("bd")), ("legato", Value::Num(1.0))]).unwrap();
    assert_eq!(s.sustain_frames, 500);
    // Pitch moves the playback rate from middle C; speed multiplies it.
    let s = ev(&[
        ("s", Value::str("bd")),
        ("freq", Value::Num(523.251_130_601_197_2)),
        ("speed", Value::Num(-0.5)),
        ("begin", Value::Num(0.25)),
        ("end", Value::Num(0.75)),
    ])
    .unwrap();
    assert!((s.speed + 1.0).abs() < 1e-6);
    assert_eq!((s.begin, s.end), (0.25, 0.75));
}

#[test]
fn envelope_and_effect_keys() {
    let ev = event(
        &[
            ("s", Value::str("saw")),
            ("attack", Value::Num(0.1)),
            ("decay", Value::Num(0.2)),
            ("sustainLevel", Value::Num(0.3)),
            ("release", Value::Num(0.4)),
            ("room", Value::Num(0.5)),
            ("size", Value::Num(0.6)),
            ("dry", Value::Num(0.7)),
            ("delay", Value::Num(0.8)),
            ("delaytime", Value::Num(0.9)),
            ("delayfb", Value::Num(0.25)),
            ("cut", Value::Num(-2.0)),
        ],
        1.0,
    );
    let s = spec_from_event(&ev, 100.0).unwrap();
    assert_eq!(
        (s.attack, s.decay, s.sustain_level, s.release),
        (0.1, 0.2, 0.3, 0.4)
    );
    assert_eq!((s.room, s.dry, s.delay), (0.5, 0.7, 0.8));
    assert_eq!(
        (s.size, s.delaytime, s.delayfeedback),
        (Some(0.6), Some(0.9), Some(0.25))
    );
    assert_eq!(s.cut, -2);
    let loud = |gain: f64| {
        let ev = event(
            &[
                ("s", Value::str("saw")),
                ("amp", Value::Num(0.1)),
                ("gain", Value::Num(gain)),
            ],
            1.0,
        );
        spec_from_event(&ev, 100.0).unwrap().amp
    };
    assert_eq!(loud(1.0), 0.1);
    assert!((loud(0.5) - 0.1 / 16.0).abs() < 1e-9);
    assert!((loud(9.0) - 1.6).abs() < 1e-6, "gain is capped at 2");
    let plain = spec_from_event(&event(&[("s", Value::str("saw"))], 1.0), 100.0).unwrap();
    assert_eq!(
        (plain.size, plain.delaytime, plain.delayfeedback),
        (None, None, None)
    );
}
