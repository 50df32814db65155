//! Events to MIDI messages: the one mapping every MIDI sink (ALSA, JACK, SMF) shares, so
//! what is played live and what is written to a file are the same messages.
//!
//! Keys read (SuperCollider's MIDI event names, with short aliases): `chan`/`channel`
//! (0–15, default 0), `midinote` (rounded, the note), `velocity` (1–127; derived from `amp`
//! when not given), `sustain` (the note-off comes that many beats after the note-on),
//! `ctlNum` + `control` (a control change), `cc0`…`cc127` (control changes by number),
//! `progNum`/`program` (program change), `bend` (−1…1, pitch bend). An unpitched event whose
//! `s` is a drum name (`bd`, `sn`, `hh`, …) plays its General MIDI drum note on channel 10
//! (index 9) unless a channel is given, so Tidal-style drum patterns drive a drum machine.

use patter_pattern::{Event, Time};

/// One MIDI message (at most three bytes; no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MidiMsg {
    /// The bytes; only the first `len` count.
    pub bytes: [u8; 3],
    /// Number of bytes used.
    pub len: u8,
}

impl MidiMsg {
    fn new3(a: u8, b: u8, c: u8) -> MidiMsg {
        MidiMsg {
            bytes: [a, b & 0x7f, c & 0x7f],
            len: 3,
        }
    }

    /// Note on.
    pub fn note_on(chan: u8, key: u8, vel: u8) -> MidiMsg {
        MidiMsg::new3(0x90 | (chan & 0x0f), key, vel)
    }

    /// Note off (velocity 0 note-off message, 0x80).
    pub fn note_off(chan: u8, key: u8) -> MidiMsg {
        MidiMsg::new3(0x80 | (chan & 0x0f), key, 0)
    }

    /// Control change.
    pub fn cc(chan: u8, num: u8, val: u8) -> MidiMsg {
        MidiMsg::new3(0xb0 | (chan & 0x0f), num, val)
    }

    /// All notes off (CC 123) on a channel.
    pub fn all_notes_off(chan: u8) -> MidiMsg {
        MidiMsg::cc(chan, 123, 0)
    }

    /// Program change.
    pub fn program(chan: u8, program: u8) -> MidiMsg {
        MidiMsg {
            bytes: [0xc0 | (chan & 0x0f), program & 0x7f, 0],
            len: 2,
        }
    }

    /// Pitch bend, 14 bits (8192 = centre).
    pub fn bend(chan: u8, value: u16) -> MidiMsg {
        let v = value.min(16383);
        MidiMsg::new3(0xe0 | (chan & 0x0f), (v & 0x7f) as u8, (v >> 7) as u8)
    }

    /// MIDI clock tick (24 per quarter note).
    pub const CLOCK: MidiMsg = MidiMsg {
        bytes: [0xf8, 0, 0],
        len: 1,
    };
    /// Start.
    pub const START: MidiMsg = MidiMsg {
        bytes: [0xfa, 0, 0],
        len: 1,
    };
    /// Continue.
    pub const CONTINUE: MidiMsg = MidiMsg {
        bytes: [0xfb, 0, 0],
        len: 1,
    };
    /// Stop.
    pub const STOP: MidiMsg = MidiMsg {
        bytes: [0xfc, 0, 0],
        len: 1,
    };

    /// Song position pointer, in sixteenth notes.
    pub fn song_position(sixteenths: u16) -> MidiMsg {
        let v = sixteenths.min(16383);
        MidiMsg {
            bytes: [0xf2, (v & 0x7f) as u8, (v >> 7) as u8],
            len: 3,
        }
    }

    /// The bytes in use.
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or(&[])
    }

    /// True for a note-off (or a note-on with velocity 0).
    pub fn is_note_off(&self) -> bool {
        let status = self.bytes[0] & 0xf0;
        status == 0x80 || (status == 0x90 && self.bytes[2] == 0)
    }

    /// True for a note-on with velocity > 0.
    pub fn is_note_on(&self) -> bool {
        self.bytes[0] & 0xf0 == 0x90 && self.bytes[2] > 0
    }

    /// Order of messages at the same instant: note-offs first (so a repeated note is
    /// released before it sounds again), then controls, then note-ons.
    fn rank(&self) -> u8 {
        if self.is_note_off() {
            0
        } else if self.is_note_on() {
            2
        } else {
            1
        }
    }
}

/// The MIDI real-time messages for a transport change: Start at beat 0, otherwise Song
/// Position (in sixteenths) then Continue; Stop when stopping.
pub fn transport_messages(running: bool, beat: Time) -> impl Iterator<Item = MidiMsg> {
    let msgs: [Option<MidiMsg>; 2] = if !running {
        [Some(MidiMsg::STOP), None]
    } else if beat.is_zero() {
        [Some(MidiMsg::START), None]
    } else {
        let sixteenths = (beat * Time::int(4)).floor_int().clamp(0, 16383) as u16;
        [
            Some(MidiMsg::song_position(sixteenths)),
            Some(MidiMsg::CONTINUE),
        ]
    };
    msgs.into_iter().flatten()
}

/// A message at an exact beat, from a player.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimedMsg {
    /// When, in beats.
    pub beat: Time,
    /// Which player (index in the program).
    pub player: u32,
    /// What.
    pub msg: MidiMsg,
}

impl TimedMsg {
    /// Sort key: time, then note-offs before controls before note-ons, then player.
    pub fn order_key(&self) -> (Time, u8, u32, [u8; 3]) {
        (self.beat, self.msg.rank(), self.player, self.msg.bytes)
    }
}

fn num(e: &Event, key: &str) -> Option<f64> {
    e.get(key)
        .and_then(|v| v.as_num())
        .filter(|x| x.is_finite())
}

fn to_7bit(x: f64) -> u8 {
    x.round().clamp(0.0, 127.0) as u8
}

/// The MIDI channel of an event (0–15).
pub fn channel(e: &Event) -> u8 {
    num(e, "chan")
        .or_else(|| num(e, "channel"))
        .map(|c| c.round().clamp(0.0, 15.0) as u8)
        .unwrap_or(0)
}

/// General MIDI percussion notes for the usual sample names.
const GM_DRUMS: &[(&str, u8)] = &[
    ("bd", 36),
    ("kick", 36),
    ("sn", 38),
    ("snare", 38),
    ("sd", 38),
    ("rim", 37),
    ("rs", 37),
    ("cp", 39),
    ("clap", 39),
    ("hh", 42),
    ("ch", 42),
    ("hc", 42),
    ("oh", 46),
    ("ho", 46),
    ("ph", 44),
    ("lt", 41),
    ("mt", 45),
    ("ht", 50),
    ("tom", 45),
    ("cr", 49),
    ("crash", 49),
    ("rd", 51),
    ("ride", 51),
    ("cb", 56),
    ("cowbell", 56),
    ("tb", 54),
    ("tambourine", 54),
    ("sh", 70),
    ("shaker", 70),
    ("cl", 75),
    ("claves", 75),
    ("wb", 76),
];

/// The General MIDI drum note for an `s` name, if it is one.
pub fn gm_drum(name: &str) -> Option<u8> {
    GM_DRUMS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// The messages for one event, appended to `out` (note-off included, at onset + sustain).
pub fn event_messages(e: &Event, out: &mut Vec<TimedMsg>) {
    let drum = match (num(e, "midinote"), e.get("s")) {
        (None, Some(patter_pattern::Value::Str(s))) => gm_drum(s),
        _ => None,
    };
    let explicit_chan = num(e, "chan").or_else(|| num(e, "channel")).is_some();
    let chan = if drum.is_some() && !explicit_chan {
        9
    } else {
        channel(e)
    };
    let at = |msg| TimedMsg {
        beat: e.beat,
        player: e.player,
        msg,
    };
    if let Some(p) = num(e, "progNum").or_else(|| num(e, "program")) {
        out.push(at(MidiMsg::program(chan, to_7bit(p))));
    }
    if let (Some(n), Some(v)) = (num(e, "ctlNum"), num(e, "control")) {
        out.push(at(MidiMsg::cc(chan, to_7bit(n), to_7bit(v))));
    }
    for (k, v) in &e.params {
        if let Some(n) = k
            .strip_prefix("cc")
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| *n < 128)
        {
            if let Some(x) = v.as_num().filter(|x| x.is_finite()) {
                out.push(at(MidiMsg::cc(chan, n, to_7bit(x))));
            }
        }
    }
    if let Some(b) = num(e, "bend") {
        let v = ((b.clamp(-1.0, 1.0) + 1.0) * 8192.0)
            .round()
            .clamp(0.0, 16383.0) as u16;
        out.push(at(MidiMsg::bend(chan, v)));
    }
    if let Some(key) = num(e, "midinote").map(to_7bit).or(drum) {
        let vel = num(e, "velocity")
            .map(|v| v.round().clamp(1.0, 127.0) as u8)
            .unwrap_or(64);
        let sustain = Time::from_f64(e.sustain.max(0.0));
        out.push(at(MidiMsg::note_on(chan, key, vel)));
        out.push(TimedMsg {
            beat: e.beat + sustain,
            player: e.player,
            msg: MidiMsg::note_off(chan, key),
        });
    }
}

/// Sort messages into playing order.
pub fn sort(msgs: &mut [TimedMsg]) {
    msgs.sort_by_key(|m| m.order_key());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use patter_pattern::{Key, TimeSpan, Value};

    fn event(params: &[(&str, f64)], sustain: f64) -> Event {
        Event {
            player: 0,
            whole: TimeSpan::new(Time::ZERO, Time::new(1, 4)),
            beat: Time::ONE,
            dur: Time::ONE,
            sustain,
            params: params.iter().map(|(k, v)| (*k, Value::Num(*v))).collect(),
        }
    }

    #[test]
    fn note_on_and_off_after_sustain() {
        let mut out = Vec::new();
        event_messages(
            &event(
                &[("midinote", 60.4), ("velocity", 100.0), ("chan", 2.0)],
                0.5,
            ),
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].msg.as_slice(), &[0x92, 60, 100]);
        assert_eq!(out[0].beat, Time::ONE);
        assert_eq!(out[1].msg.as_slice(), &[0x82, 60, 0]);
        assert_eq!(out[1].beat, Time::new(3, 2));
    }

    #[test]
    fn controls_program_and_bend() {
        let mut out = Vec::new();
        event_messages(
            &event(
                &[
                    ("cc74", 64.0),
                    ("ctlNum", 7.0),
                    ("control", 100.0),
                    ("program", 5.0),
                    ("bend", 1.0),
                ],
                1.0,
            ),
            &mut out,
        );
        let bytes: Vec<&[u8]> = out.iter().map(|m| m.msg.as_slice()).collect();
        assert!(bytes.contains(&&[0xb0, 74, 64][..]));
        assert!(bytes.contains(&&[0xb0, 7, 100][..]));
        assert!(bytes.contains(&&[0xc0, 5][..]));
        assert!(bytes.contains(&&[0xe0, 0x7f, 0x7f][..]));
    }

    #[test]
    fn drum_names_play_general_midi_drums_on_channel_ten() {
        let mut e = event(&[("velocity", 90.0)], 0.25);
        e.params.push((Key::S, Value::str("sn")));
        let mut out = Vec::new();
        event_messages(&e, &mut out);
        assert_eq!(out[0].msg.as_slice(), &[0x99, 38, 90]);
    }

    #[test]
    fn offs_sort_before_ons_at_the_same_beat() {
        let mut out = Vec::new();
        event_messages(&event(&[("midinote", 60.0)], 1.0), &mut out);
        let mut second = event(&[("midinote", 60.0)], 1.0);
        second.beat = Time::int(2);
        event_messages(&second, &mut out);
        sort(&mut out);
        let at2: Vec<bool> = out
            .iter()
            .filter(|m| m.beat == Time::int(2))
            .map(|m| m.msg.is_note_off())
            .collect();
        assert_eq!(at2, vec![true, false]);
    }
}
