//! Standard MIDI Files: what the SMF sink records live and what `patter render -o x.mid`
//! writes offline, from the same timed messages, so the two files are identical.

use std::io;

use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use patter_pattern::Time;

use crate::midi::{sort, TimedMsg};

/// Ticks per quarter note (a beat). 6720 = 2⁶·3·5·7: every straight, triplet, quintuplet
/// and septuplet subdivision down to 1/64 beat lands on a whole tick.
pub const TICKS_PER_BEAT: u16 = 6720;

/// The tick of a beat (rounded to the nearest tick when it does not fall on one).
pub fn tick_of(beat: Time) -> u64 {
    let t = beat * Time::int(TICKS_PER_BEAT as i64);
    if t.is_negative() {
        return 0;
    }
    let floor = t.floor_int();
    let frac = t - Time::int(floor);
    let rounded = if frac >= Time::new(1, 2) {
        floor + 1
    } else {
        floor
    };
    rounded.max(0) as u64
}

/// Write a format-1 SMF: a tempo track, then one track per player (named), with every
/// message in playing order.
pub fn write(
    msgs: &[TimedMsg],
    tempo_bpm: f64,
    players: &[&str],
    out: impl io::Write,
) -> io::Result<()> {
    let mut msgs = msgs.to_vec();
    sort(&mut msgs);
    let mut tracks: Vec<Vec<TrackEvent>> = Vec::with_capacity(players.len() + 1);
    let micros = (60_000_000.0 / tempo_bpm.clamp(1.0, 1000.0)).round() as u32;
    tracks.push(vec![
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros.min(0xff_ffff)))),
        },
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        },
    ]);
    for (pi, name) in players.iter().enumerate() {
        let mut track = vec![TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::TrackName(name.as_bytes())),
        }];
        let mut last = 0u64;
        for m in msgs.iter().filter(|m| m.player as usize == pi) {
            let Some(kind) = to_kind(m) else { continue };
            let tick = tick_of(m.beat);
            let delta = tick
                .saturating_sub(last)
                .min(u28::max_value().as_int() as u64) as u32;
            last = tick;
            track.push(TrackEvent {
                delta: u28::new(delta),
                kind,
            });
        }
        track.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        tracks.push(track);
    }
    let smf = Smf {
        header: Header::new(Format::Parallel, Timing::Metrical(u15::new(TICKS_PER_BEAT))),
        tracks,
    };
    smf.write_std(out)
}

fn to_kind(m: &TimedMsg) -> Option<TrackEventKind<'static>> {
    let b = m.msg.bytes;
    let channel = u4::new(b[0] & 0x0f);
    let message = match b[0] & 0xf0 {
        0x80 => MidiMessage::NoteOff {
            key: u7::new(b[1] & 0x7f),
            vel: u7::new(b[2] & 0x7f),
        },
        0x90 => MidiMessage::NoteOn {
            key: u7::new(b[1] & 0x7f),
            vel: u7::new(b[2] & 0x7f),
        },
        0xb0 => MidiMessage::Controller {
            controller: u7::new(b[1] & 0x7f),
            value: u7::new(b[2] & 0x7f),
        },
        0xc0 => MidiMessage::ProgramChange {
            program: u7::new(b[1] & 0x7f),
        },
        0xe0 => MidiMessage::PitchBend {
            bend: midly::PitchBend(midly::num::u14::new(
                ((b[2] as u16 & 0x7f) << 7) | (b[1] as u16 & 0x7f),
            )),
        },
        // Clock and other system messages do not belong in a file.
        _ => return None,
    };
    Some(TrackEventKind::Midi { channel, message })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::midi::MidiMsg;

    #[test]
    fn ticks_are_exact_for_tuplets() {
        assert_eq!(tick_of(Time::new(1, 3)), 2240);
        assert_eq!(tick_of(Time::new(1, 7)), 960);
        assert_eq!(tick_of(Time::new(1, 5)), 1344);
        assert_eq!(tick_of(Time::int(2)), 13440);
    }

    #[test]
    fn writes_a_readable_file() {
        let msgs = vec![
            TimedMsg {
                beat: Time::ZERO,
                player: 0,
                msg: MidiMsg::note_on(0, 60, 100),
            },
            TimedMsg {
                beat: Time::new(1, 2),
                player: 0,
                msg: MidiMsg::note_off(0, 60),
            },
            TimedMsg {
                beat: Time::ONE,
                player: 1,
                msg: MidiMsg::note_on(1, 64, 90),
            },
        ];
        let mut bytes = Vec::new();
        write(&msgs, 120.0, &["a", "b"], &mut bytes).unwrap();
        let smf = Smf::parse(&bytes).unwrap();
        assert_eq!(smf.tracks.len(), 3);
        let a = &smf.tracks[1];
        assert!(matches!(
            a[0].kind,
            TrackEventKind::Meta(MetaMessage::TrackName(b"a"))
        ));
        assert_eq!(a[2].delta.as_int(), 3360);
        let b = &smf.tracks[2];
        assert_eq!(b[1].delta.as_int(), 6720);
    }
}
