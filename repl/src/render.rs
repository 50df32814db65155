//! `patter render`: write a program's events to a file, offline and faster than real time.

use std::process::ExitCode;

use patter_pattern::Time;

use crate::args::Args;
use crate::loader::{load_program, seed_arg};

pub fn run(argv: &[String]) -> ExitCode {
    let args = match Args::parse(
        argv,
        &[
            "o",
            "output",
            "beats",
            "bars",
            "cycles",
            "seed",
            "rate",
            "bits",
            "score",
            "synthdefs",
        ],
    ) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    let [file] = args.positional.as_slice() else {
        return usage("give one FILE.pat");
    };
    let score_path = args.get("score");
    let out_path = args.get("o").or(args.get("output"));
    if out_path.is_none() && score_path.is_none() {
        return usage("where to? give -o out.mid, -o out.wav or --score out.osc");
    }
    let seed = match seed_arg(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let lengths: Vec<(&str, f64)> = ["beats", "bars", "cycles"]
        .iter()
        .filter_map(|k| {
            args.get(k)
                .map(|v| (*k, v.parse::<f64>().unwrap_or(f64::NAN)))
        })
        .collect();
    let (unit, amount) = match lengths.as_slice() {
        [] => return usage("how long? give --beats N, --bars N or --cycles N"),
        [(u, x)] if x.is_finite() && *x > 0.0 && *x <= 1e6 => (*u, *x),
        [(u, _)] => return usage(&format!("--{u} takes a number above 0")),
        _ => return usage("give only one of --beats, --bars and --cycles"),
    };
    let rate = match args.get("rate").map(str::parse::<u32>) {
        None => 48_000,
        Some(Ok(r)) if (8_000..=192_000).contains(&r) => r,
        _ => return usage("--rate takes a sample rate from 8000 to 192000"),
    };
    let bits = match args.get("bits") {
        None | Some("16") => patter_synth::WavBits::Int16,
        Some("24") => patter_synth::WavBits::Int24,
        Some("32") => patter_synth::WavBits::Float32,
        Some(_) => return usage("--bits takes 16, 24 or 32 (float)"),
    };
    let Some(program) = load_program(file, seed) else {
        return ExitCode::FAILURE;
    };
    // A bar is one cycle (4 beats by default).
    let beats = match unit {
        "beats" => Time::from_f64(amount),
        _ => Time::from_f64(amount) * program.cycle_beats,
    };
    if let Some(path) = score_path {
        let events = match patter_runtime::render::events(&program, Time::ZERO, beats) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("patter: player `{}` produces too many events near beat {}; nothing was written", e.player, e.beat);
                return ExitCode::FAILURE;
            }
        };
        match crate::sc::write_score(&program, &events, &args, path) {
            Ok(msg) => eprintln!("{msg}"),
            Err(msg) => {
                eprintln!("patter render: {msg}");
                return ExitCode::FAILURE;
            }
        }
    }
    let Some(out_path) = out_path else {
        return ExitCode::SUCCESS;
    };
    let lower = out_path.to_ascii_lowercase();
    if lower.ends_with(".mid") || lower.ends_with(".midi") || lower.ends_with(".smf") {
        let msgs = match patter_runtime::render::midi_messages(&program, Time::ZERO, beats) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("patter: player `{}` produces too many events near beat {}; nothing was written", e.player, e.beat);
                return ExitCode::FAILURE;
            }
        };
        let names: Vec<&str> = program.players.iter().map(|p| &*p.name).collect();
        let mut bytes = Vec::new();
        if let Err(e) = patter_runtime::smf::write(&msgs, program.tempo, &names, &mut bytes) {
            eprintln!("patter: cannot encode the MIDI file: {e}");
            return ExitCode::FAILURE;
        }
        if let Err(e) = std::fs::write(out_path, &bytes) {
            eprintln!("patter: cannot write {out_path}: {e}");
            return ExitCode::FAILURE;
        }
        let notes = msgs.iter().filter(|m| m.msg.is_note_on()).count();
        eprintln!(
            "patter: wrote {out_path}: {notes} notes, {beats} beats at {} BPM",
            patter_pattern::fmt_num(program.tempo)
        );
        ExitCode::SUCCESS
    } else if lower.ends_with(".wav") {
        render_wav(&program, beats, out_path, rate, bits)
    } else {
        eprintln!("patter render: cannot write `{out_path}`: give a .mid (MIDI file) or .wav (audio through the built-in synth) name");
        ExitCode::from(2)
    }
}

/// Longest audio render accepted (one hour at the chosen rate), so a mistyped length
/// cannot exhaust memory.
const MAX_WAV_SECONDS: f64 = 3600.0;
/// Room after the last onset for releases and drum tails.
const TAIL_SECONDS: f64 = 2.0;

fn render_wav(
    program: &patter_pattern::Program,
    beats: Time,
    out_path: &str,
    rate: u32,
    bits: patter_synth::WavBits,
) -> ExitCode {
    let events = match patter_runtime::render::events(program, Time::ZERO, beats) {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "patter: player `{}` produces too many events near beat {}; nothing was written",
                e.player, e.beat
            );
            return ExitCode::FAILURE;
        }
    };
    let seconds_per_beat = 60.0 / program.tempo;
    let seconds = beats.to_f64() * seconds_per_beat + TAIL_SECONDS;
    if seconds > MAX_WAV_SECONDS {
        eprintln!("patter render: {seconds:.0} s of audio is more than the {MAX_WAV_SECONDS:.0} s a render may be");
        return ExitCode::from(2);
    }
    let frames_per_beat = seconds_per_beat * f64::from(rate);
    // Onsets from exact beats: frame = beat · 60 · rate / tempo, rounded once.
    let fpb = Time::from_f64(60.0 * f64::from(rate) / program.tempo);
    let mut notes = Vec::with_capacity(events.len());
    let mut skipped = 0usize;
    for e in &events {
        match patter_synth::spec_from_event(e, frames_per_beat) {
            Some(spec) => {
                let at = e.beat * fpb;
                notes.push((at.floor_int().max(0) as u64, spec));
            }
            None => skipped += 1,
        }
    }
    let total = (seconds * f64::from(rate)).ceil() as u64;
    let samples = patter_synth::render_offline(&notes, total, rate, 256);
    if let Err(e) = patter_synth::write_wav(out_path, &samples, rate, 2, bits) {
        eprintln!("patter: cannot write {out_path}: {e}");
        return ExitCode::FAILURE;
    }
    let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    eprintln!(
        "patter: wrote {out_path}: {} notes, {seconds:.1} s at {rate} Hz, peak {peak:.3}{}",
        notes.len(),
        if skipped > 0 {
            format!(" ({skipped} events with no built-in sound skipped)")
        } else {
            String::new()
        }
    );
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter render: {msg}\nusage: patter render FILE.pat (--beats N | --bars N | --cycles N) [--seed S] [--rate HZ] [--bits 16|24|32] -o out.mid|out.wav | --score out.osc [--synthdefs DIR]");
    ExitCode::from(2)
}
