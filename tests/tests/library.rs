//! The Rust library API: a looping list of notes plays exactly those notes, every loop.
#![allow(clippy::unwrap_used)]

use patter_pattern::Time;
use patter_runtime::library::{program_of, NoteLoop};
use patter_runtime::render::midi_messages;

#[test]
fn a_note_loop_plays_its_notes_every_loop_on_its_channel() {
    let l = NoteLoop::new("riff", 3, Time::int(4))
        .note(Time::new(1, 2), 60, 100, Time::new(1, 4))
        .note(Time::int(2), 64, 90, Time::ONE)
        .note(Time::int(2), 67, 80, Time::ONE);
    let p = program_of(&[l], 120.0);
    let msgs = midi_messages(&p, Time::ZERO, Time::int(8)).unwrap();
    let ons: Vec<(Time, u8, u8, u8)> = msgs
        .iter()
        .filter(|m| m.msg.is_note_on())
        .map(|m| {
            (
                m.beat,
                m.msg.bytes[0] & 0x0f,
                m.msg.bytes[1],
                m.msg.bytes[2],
            )
        })
        .collect();
    let expect = vec![
        (Time::new(1, 2), 3, 60, 100),
        (Time::int(2), 3, 64, 90),
        (Time::int(2), 3, 67, 80),
        (Time::new(9, 2), 3, 60, 100),
        (Time::int(6), 3, 64, 90),
        (Time::int(6), 3, 67, 80),
    ];
    assert_eq!(ons, expect);
    let first_off = msgs.iter().find(|m| m.msg.is_note_off()).unwrap();
    assert_eq!(
        (first_off.beat, first_off.msg.bytes[1]),
        (Time::new(3, 4), 60)
    );
}
