//! The render pipeline: onsets rounded once from exact beats, sound names collected without
//! their `:N`, unknown names counted per name, samples loaded only for the names used, and
//! stems that split the mix's notes by player without losing or adding any.
#![cfg(feature = "pattern")]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use patter_pattern::{Event, Time, TimeSpan, Value};
use patter_synth::plan::{frame_of, load_for, render_seconds, sound_names, Plan, TAIL_SECONDS};
use patter_synth::{SampleBank, SampleLibrary};

fn event(player: u32, beat: Time, s: &str) -> Event {
    Event {
        player,
        whole: TimeSpan {
            begin: Time::ZERO,
            end: Time::new(1, 1),
        },
        beat,
        dur: Time::new(1, 1),
        sustain: 0.5,
        params: vec![(patter_pattern::Key::new("s"), Value::Str(Arc::from(s)))].into(),
    }
}

#[test]
fn onsets_round_down_once_from_exact_beats() {
    // One third of a beat at 120 BPM and 48 kHz is exactly 8000 frames; at 100 BPM a beat
    // is 28 800 frames, so a third is 9600.
    assert_eq!(frame_of(Time::new(1, 3), 120.0, 48_000), 8_000);
    assert_eq!(frame_of(Time::new(7, 3), 100.0, 48_000), 67_200);
    assert_eq!(frame_of(Time::new(-1, 1), 120.0, 48_000), 0);
    assert_eq!(
        render_seconds(Time::int(8), 120.0, None),
        4.0 + TAIL_SECONDS
    );
    assert_eq!(render_seconds(Time::int(8), 120.0, Some(1.5)), 1.5);
}

#[test]
fn names_unknowns_and_stems() {
    let events = vec![
        event(0, Time::ZERO, "bd:3"),
        event(1, Time::new(1, 2), "pluck"),
        event(0, Time::int(1), "nosuch"),
        event(1, Time::int(2), "nosuch:2"),
        event(0, Time::int(3), "bd"),
    ];
    assert_eq!(sound_names(&events), vec!["bd", "nosuch", "pluck"]);
    let plan = Plan::new(
        &events,
        120.0,
        render_seconds(Time::int(4), 120.0, None),
        48_000,
        Arc::new(SampleBank::empty(48_000)),
    );
    assert_eq!(plan.notes.len(), 3);
    assert_eq!(plan.skipped, 2);
    assert_eq!(plan.unknown.get("nosuch"), Some(&2));
    assert_eq!(plan.total_frames, 4 * 24_000 + 96_000);
    let onsets: Vec<u64> = plan.notes.iter().map(|n| n.0).collect();
    assert_eq!(onsets, vec![0, 12_000, 72_000]);
    // Every note is in exactly one stem.
    let (d, dn) = plan.stem(0);
    let (k, kn) = plan.stem(1);
    assert_eq!((dn, kn), (2, 1));
    assert_eq!(d.len(), k.len());
    assert!(plan.stem(2).1 == 0);
}

#[test]
fn only_the_folders_used_are_loaded() {
    let root = std::env::temp_dir().join(format!("patter-plan-{}", std::process::id()));
    for name in ["used", "unused"] {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        patter_synth::write_wav(
            dir.join("0.wav"),
            &[0.5; 200],
            48_000,
            1,
            patter_synth::WavBits::Int16,
        )
        .unwrap();
    }
    let (library, warnings) = SampleLibrary::scan(std::slice::from_ref(&root));
    assert!(warnings.is_empty());
    let events = vec![event(0, Time::ZERO, "used:0"), event(0, Time::int(1), "bd")];
    let (bank, warnings) = load_for(&library, &events, 48_000);
    std::fs::remove_dir_all(&root).ok();
    assert!(warnings.is_empty());
    assert_eq!(bank.names().collect::<Vec<_>>(), vec!["used"]);
    let plan = Plan::new(&events, 120.0, 2.0, 48_000, Arc::new(bank));
    assert_eq!(plan.notes.len(), 2);
    assert!(plan.notes.first().unwrap().1.sample.is_some());
    let (mix, stats) = plan.render(&mut |_| {});
    assert_eq!(stats.missing, 0);
    assert!(mix.iter().any(|x| *x != 0.0));
}
