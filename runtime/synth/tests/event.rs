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
