//! NRT scores: a program's events as the binary score `scsynth -N` renders offline
//! (`scsynth -N score.osc _ out.wav 48000 WAV int16 -o 2`).
//!
//! The file is a sequence of OSC bundles, each preceded by its length (int32, big-endian),
//! in time order, with timetags in seconds from 0. At time 0 it loads the definitions and
//! creates one group per player; then each event is an `/s_new` bundle at its onset and,
//! for gated definitions, an `/n_set gate 0` bundle at its release, exactly as the live sink
//! sends them; a last `/c_set 0 0` bundle marks the end (the render stops there).

use std::collections::HashSet;

use patter_pattern::{Event, Program, Time, Value};

use crate::osc::{ntp, OscWriter};
use crate::sink::{def_name, write_controls, DefFile, GROUP_BASE};

/// Seconds after the last onset or release the score keeps rendering (drum tails, pad
/// releases).
pub const TAIL_SECONDS: f64 = 2.0;
/// First synth node id in a score.
const NODE_BASE: i32 = 10_000;

/// One bundle: its time in seconds (for sorting) and its bytes.
struct Timed {
    at: f64,
    order: usize,
    bytes: Vec<u8>,
}

/// Build the score of `events` (from [`patter_runtime::render::events`]) of `program`,
/// with `defs` loaded at time 0. Onsets are exact beats at the program's tempo.
pub fn score(program: &Program, events: &[Event], defs: &[DefFile]) -> Vec<u8> {
    let spb = 60.0 / program.tempo.max(1e-9);
    let seconds = |beat: Time| beat.to_f64() * spb;
    let mut names = HashSet::new();
    let mut gated = HashSet::new();
    for f in defs {
        for (n, g) in &f.defs {
            names.insert(Box::<str>::from(n.as_str()));
            if *g {
                gated.insert(n.clone());
            } else {
                gated.remove(n);
            }
        }
    }
    let mut w = OscWriter::with_capacity(65_536);
    let mut bundles: Vec<Timed> = Vec::with_capacity(events.len() * 2 + 2);
    let push = |w: &OscWriter, at: f64, bundles: &mut Vec<Timed>| {
        let order = bundles.len();
        bundles.push(Timed {
            at,
            order,
            bytes: w.bytes().to_vec(),
        });
    };

    w.start_bundle(ntp(0.0));
    for f in defs {
        w.start_message("/d_recv").blob(&f.bytes);
        w.end_message();
    }
    let players = events
        .iter()
        .map(|e| e.player)
        .max()
        .map_or(0, |p| p.min(8999) + 1);
    for p in 0..players {
        w.start_message("/g_new")
            .int(GROUP_BASE + p as i32)
            .int(1)
            .int(0);
        w.end_message();
    }
    push(&w, 0.0, &mut bundles);

    let mut node = NODE_BASE;
    let mut mono: Vec<Option<i32>> = Vec::new();
    let mut end: f64 = 0.0;
    for e in events {
        let onset = seconds(e.beat);
        let sustain = (e.sustain.max(0.0) * spb) as f32;
        let release = onset + sustain as f64;
        end = end.max(release).max(onset);
        let slot = e.player.min(8999) as usize;
        let group = GROUP_BASE + slot as i32;
        let def = def_name(e, &names);
        let is_mono = e.get("mono").is_some_and(Value::is_truthy);
        w.start_bundle(ntp(onset));
        match mono.get(slot).copied().flatten().filter(|_| is_mono) {
            Some(n) => {
                w.start_message("/n_set").int(n);
                write_controls(&mut w, e, sustain);
                w.string("gate").float(1.0);
            }
            None => {
                node += 1;
                w.start_message("/s_new")
                    .string(def)
                    .int(node)
                    .int(1)
                    .int(group);
                write_controls(&mut w, e, sustain);
                if is_mono {
                    if mono.len() <= slot {
                        mono.resize(slot + 1, None);
                    }
                    if let Some(m) = mono.get_mut(slot) {
                        *m = Some(node);
                    }
                }
            }
        }
        w.end_message();
        push(&w, onset, &mut bundles);
        if !is_mono && gated.contains(def) {
            w.start_bundle(ntp(release));
            w.start_message("/n_set")
                .int(node)
                .string("gate")
                .float(0.0);
            w.end_message();
            push(&w, release, &mut bundles);
        }
    }
    let last = end + TAIL_SECONDS;
    w.start_bundle(ntp(last));
    for n in mono.iter().flatten() {
        w.start_message("/n_set").int(*n).string("gate").float(0.0);
        w.end_message();
    }
    // The render ends with the last command: this one marks the tail's end.
    w.start_message("/c_set").int(0).int(0);
    w.end_message();
    push(&w, last, &mut bundles);

    // Stable: a release and the next onset at the same time keep their order.
    bundles.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.order.cmp(&b.order)));
    let mut out = Vec::with_capacity(bundles.iter().map(|b| b.bytes.len() + 4).sum());
    for b in &bundles {
        out.extend_from_slice(&(b.bytes.len() as i32).to_be_bytes());
        out.extend_from_slice(&b.bytes);
    }
    out
}

/// The command that renders a score to a WAV file.
pub fn render_command(score: &str, wav: &str, rate: u32) -> String {
    format!("scsynth -N {score} _ {wav} {rate} WAV int16 -o 2")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn bundles(bytes: &[u8]) -> Vec<rosc::OscBundle> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while rest.len() >= 4 {
            let n = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let (_, p) = rosc::decoder::decode_udp(&rest[4..4 + n]).unwrap();
            match p {
                rosc::OscPacket::Bundle(b) => out.push(b),
                other => panic!("not a bundle: {other:?}"),
            }
            rest = &rest[4 + n..];
        }
        assert!(rest.is_empty());
        out
    }

    fn event(player: u32, beat: Time, sustain: f64, instrument: &str) -> Event {
        Event {
            player,
            whole: patter_pattern::TimeSpan::new(beat, beat + Time::int(1)),
            beat,
            dur: Time::int(1),
            sustain,
            params: [
                (patter_pattern::Key::new("freq"), Value::Num(220.0)),
                (
                    patter_pattern::Key::new("instrument"),
                    Value::str(instrument),
                ),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn score_is_sorted_with_defs_first_and_an_end_marker() {
        let program = Program {
            tempo: 60.0,
            ..Program::default()
        };
        let defs: Vec<DefFile> = crate::library::builtin()
            .unwrap()
            .iter()
            .map(DefFile::of)
            .collect();
        let events = vec![
            event(0, Time::ZERO, 2.0, "saw"),
            event(1, Time::new(1, 2), 0.25, "kick"),
            event(0, Time::int(1), 0.5, "saw"),
        ];
        let s = score(&program, &events, &defs);
        let b = bundles(&s);
        let times: Vec<f64> = b
            .iter()
            .map(|b| b.timetag.seconds as f64 + b.timetag.fractional as f64 / 4294967296.0)
            .collect();
        // defs+groups, saw, kick, saw, saw release (1.5), saw release (2.0), end (4.0)
        assert_eq!(times, [0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 4.0]);
        assert_eq!(b[0].content.len(), defs.len() + 2);
        let addr = |p: &rosc::OscPacket| match p {
            rosc::OscPacket::Message(m) => m.addr.clone(),
            _ => String::new(),
        };
        assert_eq!(addr(&b[2].content[0]), "/s_new");
        assert_eq!(addr(&b[4].content[0]), "/n_set");
        assert_eq!(addr(&b[6].content[0]), "/c_set");
    }
}
