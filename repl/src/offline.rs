//! The service's offline work: rendering a program to a file while the engine plays on,
//! and the built-in synth's instrument list.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use patter_pattern::Time;
use serde::Serialize;

use crate::protocol::RenderRequest;

/// Longest audio a service render may produce: its samples are held in memory whole
/// (48 kHz stereo f32: about 23 MB a minute).
const MAX_RENDER_SECONDS: f64 = 300.0;

/// One render at a time: renders use a core the engine may need.
static RENDERING: AtomicBool = AtomicBool::new(false);
static RENDER_COUNT: AtomicU64 = AtomicU64::new(0);

/// A finished render.
#[derive(Clone, Debug, Serialize)]
pub struct Rendered {
    /// Where the file is.
    pub path: String,
    /// `wav` or `mid`.
    pub format: String,
    /// Audio frames written (`wav`); 0 for `mid`.
    pub frames: u64,
    /// Notes rendered.
    pub notes: usize,
    /// Length rendered, in beats.
    pub beats: f64,
    /// Length of the file, in seconds.
    pub seconds: f64,
}

struct Busy;
impl Drop for Busy {
    fn drop(&mut self) {
        RENDERING.store(false, Ordering::Release);
    }
}

/// Render `req`; `allow_path` is false for remote clients, whose files go to the temp dir.
pub fn render(req: &RenderRequest, allow_path: bool) -> Result<Rendered, String> {
    if RENDERING.swap(true, Ordering::AcqRel) {
        return Err("another render is running; try again when it is done".into());
    }
    let _busy = Busy;
    let format = match req.format.as_str() {
        "wav" => "wav",
        "mid" | "midi" | "smf" => "mid",
        other => return Err(format!("format `{other}`: give wav or mid")),
    };
    let doc = req.doc.clone().unwrap_or_else(|| "render.pat".into());
    let compiled = patter_lang::compile(&doc, &req.source, &crate::loader::FsLoader);
    let Some(program) = compiled.program else {
        let errors = compiled
            .diagnostics
            .iter()
            .filter(|d| d.severity == patter_lang::Severity::Error)
            .count();
        return Err(format!(
            "the program has {errors} error(s); evaluate it for the diagnostics"
        ));
    };
    let beats = match (req.beats, req.bars) {
        (Some(b), None) if b.is_finite() && b > 0.0 && b <= 1e6 => Time::from_f64(b),
        (None, Some(b)) if b.is_finite() && b > 0.0 && b <= 1e6 => {
            Time::from_f64(b) * program.cycle_beats
        }
        (None, None) => return Err("how long? give beats or bars".into()),
        _ => return Err("give one of beats and bars, a number above 0".into()),
    };
    let path = match (&req.path, allow_path) {
        (Some(p), true) if !crate::serve::has_extension(p, &[format]) => {
            return Err(format!("a {format} render is written to a .{format} file"))
        }
        (Some(p), true) => p.clone(),
        (Some(_), false) => return Err("remote clients cannot choose where files go".into()),
        (None, _) => std::env::temp_dir()
            .join(format!(
                "patter-render-{}-{}.{format}",
                std::process::id(),
                RENDER_COUNT.fetch_add(1, Ordering::Relaxed)
            ))
            .display()
            .to_string(),
    };
    let seconds_per_beat = 60.0 / program.tempo;
    let too_many = |e: patter_runtime::render::RenderError| {
        format!(
            "player `{}` produces too many events near beat {}; nothing was written",
            e.player, e.beat
        )
    };
    if format == "mid" {
        let msgs =
            patter_runtime::render::midi_messages(&program, Time::ZERO, beats).map_err(too_many)?;
        let names: Vec<&str> = program.players.iter().map(|p| &*p.name).collect();
        let mut bytes = Vec::new();
        patter_runtime::smf::write(&msgs, program.tempo, &names, &mut bytes)
            .map_err(|e| format!("cannot encode the MIDI file: {e}"))?;
        std::fs::write(&path, &bytes).map_err(|e| format!("cannot write {path}: {e}"))?;
        return Ok(Rendered {
            path,
            format: format.into(),
            frames: 0,
            notes: msgs.iter().filter(|m| m.msg.is_note_on()).count(),
            beats: beats.to_f64(),
            seconds: beats.to_f64() * seconds_per_beat,
        });
    }
    let rate = req.rate.unwrap_or(48_000);
    if !(8_000..=192_000).contains(&rate) {
        return Err("rate: a sample rate from 8000 to 192000".into());
    }
    let seconds = patter_synth::plan::render_seconds(beats, program.tempo, None);
    if seconds > MAX_RENDER_SECONDS {
        return Err(format!(
            "{seconds:.0} s of audio is more than the {MAX_RENDER_SECONDS:.0} s a service render may be; use `patter render` for long files"
        ));
    }
    let events = patter_runtime::render::events(&program, Time::ZERO, beats).map_err(too_many)?;
    // The same plan as `patter render` (onsets, samples from the default folders, tail).
    let roots = patter_synth::SampleLibrary::default_roots(&[]);
    let (library, _) = patter_synth::SampleLibrary::scan(&roots);
    let (bank, _) = patter_synth::plan::load_for(&library, &events, rate);
    let plan = patter_synth::plan::Plan::new(
        &events,
        program.tempo,
        seconds,
        rate,
        std::sync::Arc::new(bank),
    );
    let (samples, _) = plan.render(&mut |_| {});
    let frames = plan.total_frames;
    let notes = plan.notes;
    patter_synth::write_wav(&path, &samples, rate, 2, patter_synth::WavBits::Int16)
        .map_err(|e| format!("cannot write {path}: {e}"))?;
    Ok(Rendered {
        path,
        format: format.into(),
        frames,
        notes: notes.len(),
        beats: beats.to_f64(),
        seconds,
    })
}

/// A key an instrument reads from each event.
#[derive(Clone, Debug, Serialize)]
pub struct Param {
    /// The key.
    pub name: &'static str,
    /// Its value when the event has none.
    pub default: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// One instrument of the built-in synth.
#[derive(Clone, Debug, Serialize)]
pub struct InstrumentInfo {
    /// Its main name (for `s` or `instrument`).
    pub name: &'static str,
    /// Other names that pick it.
    pub aliases: &'static [&'static str],
    /// `tonal` (follows the note's envelope) or `drum` (a one-shot).
    pub kind: &'static str,
    /// What it sounds like.
    pub description: &'static str,
    /// The keys it reads.
    pub params: &'static [Param],
}

const TONAL: &[Param] = &[
    Param {
        name: "freq",
        default: "from note/degree (middle C)",
        description: "pitch in Hz, from note, degree, octave, scale and root",
    },
    Param {
        name: "amp",
        default: "0.5",
        description: "loudness, 0 to 1",
    },
    Param {
        name: "pan",
        default: "0",
        description: "-1 (left) to 1 (right)",
    },
    Param {
        name: "sustain",
        default: "dur × legato",
        description: "how long the note is held, in beats",
    },
    Param {
        name: "attack",
        default: "0.005",
        description: "seconds to full level",
    },
    Param {
        name: "release",
        default: "0.05",
        description: "seconds to silence after the note",
    },
    Param {
        name: "cutoff",
        default: "20000",
        description: "low-pass cutoff in Hz (alias lpf)",
    },
    Param {
        name: "resonance",
        default: "0",
        description: "low-pass resonance, 0 to 1 (alias lpq)",
    },
];

const DRUM: &[Param] = &[
    Param {
        name: "amp",
        default: "0.5",
        description: "loudness, 0 to 1",
    },
    Param {
        name: "pan",
        default: "0",
        description: "-1 (left) to 1 (right)",
    },
    Param {
        name: "cutoff",
        default: "20000",
        description: "low-pass cutoff in Hz (alias lpf)",
    },
    Param {
        name: "resonance",
        default: "0",
        description: "low-pass resonance, 0 to 1 (alias lpq)",
    },
];

/// The built-in synth's instruments.
pub const INSTRUMENTS: &[InstrumentInfo] = &[
    InstrumentInfo {
        name: "sine",
        aliases: &["sin", "default"],
        kind: "tonal",
        description: "pure sine (the default)",
        params: TONAL,
    },
    InstrumentInfo {
        name: "saw",
        aliases: &["sawtooth"],
        kind: "tonal",
        description: "band-limited sawtooth",
        params: TONAL,
    },
    InstrumentInfo {
        name: "square",
        aliases: &["sqr", "pulse"],
        kind: "tonal",
        description: "band-limited square",
        params: TONAL,
    },
    InstrumentInfo {
        name: "pluck",
        aliases: &["string", "ks"],
        kind: "tonal",
        description: "Karplus-Strong plucked string",
        params: TONAL,
    },
    InstrumentInfo {
        name: "bass",
        aliases: &[],
        kind: "tonal",
        description: "sawtooth with a sine an octave down",
        params: TONAL,
    },
    InstrumentInfo {
        name: "pad",
        aliases: &[],
        kind: "tonal",
        description: "three detuned sawtooths",
        params: TONAL,
    },
    InstrumentInfo {
        name: "bd",
        aliases: &["kick"],
        kind: "drum",
        description: "kick: a sine with a falling pitch",
        params: DRUM,
    },
    InstrumentInfo {
        name: "sn",
        aliases: &["sd", "snare"],
        kind: "drum",
        description: "snare: noise and a short tone",
        params: DRUM,
    },
    InstrumentInfo {
        name: "hh",
        aliases: &["hat", "ch"],
        kind: "drum",
        description: "closed hat: short high-passed noise",
        params: DRUM,
    },
    InstrumentInfo {
        name: "oh",
        aliases: &["openhat"],
        kind: "drum",
        description: "open hat: long high-passed noise",
        params: DRUM,
    },
    InstrumentInfo {
        name: "cp",
        aliases: &["clap"],
        kind: "drum",
        description: "clap: three noise bursts and a tail",
        params: DRUM,
    },
    InstrumentInfo {
        name: "rim",
        aliases: &["rs"],
        kind: "drum",
        description: "rim shot: a click of tone and noise",
        params: DRUM,
    },
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use patter_synth::Instrument;

    #[test]
    fn every_listed_name_is_a_synth_instrument_and_none_is_missing() {
        let mut seen = std::collections::HashSet::new();
        for i in INSTRUMENTS {
            let main = Instrument::from_name(i.name).unwrap();
            assert_eq!(main.is_drum(), i.kind == "drum", "{}", i.name);
            for a in i.aliases {
                assert_eq!(Instrument::from_name(a), Some(main), "{a}");
            }
            assert!(seen.insert(main), "{} listed twice", i.name);
        }
        // Twelve instruments in the synth's enum.
        assert_eq!(seen.len(), 12);
    }

    #[test]
    fn renders_midi_and_wav_and_refuses_bad_requests() {
        let dir = std::env::temp_dir().join(format!("patter-offline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let req = |format: &str, path: &str| RenderRequest {
            source: "tempo 120\nplay a { s: \"bd sn\" }".into(),
            doc: None,
            beats: Some(4.0),
            bars: None,
            format: format.into(),
            path: Some(dir.join(path).display().to_string()),
            rate: Some(8000),
        };
        let wav = render(&req("wav", "a.wav"), true).unwrap();
        // 4 beats at 120 BPM is 2 s, plus a 2 s tail, at 8 kHz.
        assert_eq!(wav.frames, 32_000);
        assert_eq!(wav.notes, 2);
        assert!(std::fs::metadata(&wav.path).unwrap().len() > 32_000 * 4);
        let mid = render(&req("mid", "a.mid"), true).unwrap();
        assert_eq!(mid.notes, 2);
        assert!(render(&req("mp3", "a.mp3"), true).is_err());
        assert!(render(&req("wav", "a.sh"), true).is_err());
        assert!(render(&req("wav", "b.wav"), false).is_err());
        let mut long = req("wav", "c.wav");
        long.beats = Some(1e6);
        assert!(render(&long, true).is_err());
        let mut broken = req("wav", "d.wav");
        broken.source = "play a { s: ".into();
        assert!(render(&broken, true).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
