//! `patter render`: write a program's events to a file, offline and faster than real time.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use patter_pattern::Time;

use crate::args::Args;
use crate::loader::{load_program, seed_arg};

pub fn run(argv: &[String]) -> ExitCode {
    // `--input FILE.jsonl`: the queries read a recorded performance's input.
    match crate::input_file::with_recording(argv, || run_args(argv)) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("patter render: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run_args(argv: &[String]) -> ExitCode {
    let args = match Args::parse(
        argv,
        &[
            "input",
            "o",
            "output",
            "beats",
            "bars",
            "cycles",
            "seconds",
            "seed",
            "rate",
            "bits",
            "channels",
            "samples",
            "stems",
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
    let stems = args.get("stems");
    if out_path.is_none() && stems.is_none() && score_path.is_none() {
        return usage("where to? give -o out.mid, -o out.wav, --stems DIR or --score out.osc");
    }
    let sample_roots: Vec<PathBuf> = args
        .options
        .iter()
        .filter(|(n, _)| n == "samples")
        .map(|(_, v)| PathBuf::from(v))
        .collect();
    let seed = match seed_arg(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let lengths: Vec<(&str, f64)> = ["beats", "bars", "cycles", "seconds"]
        .iter()
        .filter_map(|k| {
            args.get(k)
                .map(|v| (*k, v.parse::<f64>().unwrap_or(f64::NAN)))
        })
        .collect();
    let (unit, amount) = match lengths.as_slice() {
        [] => return usage("how long? give --beats N, --bars N, --cycles N or --seconds N"),
        [(u, x)] if x.is_finite() && *x > 0.0 && *x <= 1e6 => (*u, *x),
        [(u, _)] => return usage(&format!("--{u} takes a number above 0")),
        _ => return usage("give only one of --beats, --bars, --cycles and --seconds"),
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
    let channels = match args.get("channels") {
        None | Some("2") => 2,
        Some("1") => 1,
        Some(_) => return usage("--channels takes 1 (mono) or 2 (stereo)"),
    };
    let Some(program) = load_program(file, seed) else {
        return ExitCode::FAILURE;
    };
    // A bar is one cycle (4 beats by default); seconds count at the program's tempo.
    let beats = match unit {
        "beats" => Time::from_f64(amount),
        "seconds" => Time::from_f64(amount * program.tempo / 60.0),
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
    let wav = WavOptions {
        rate,
        bits,
        channels,
        // `--seconds N` asks for a file of exactly N seconds: no tail after the last note.
        exact_seconds: (unit == "seconds").then_some(amount),
        sample_roots,
    };
    let Some(out_path) = out_path else {
        if stems.is_none() {
            return ExitCode::SUCCESS;
        }
        return render_wav(&program, beats, None, stems, &wav);
    };
    let lower = out_path.to_ascii_lowercase();
    if lower.ends_with(".mid") || lower.ends_with(".midi") || lower.ends_with(".smf") {
        if let Some(dir) = stems {
            let code = render_wav(&program, beats, None, Some(dir), &wav);
            if code != ExitCode::SUCCESS {
                return code;
            }
        }
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
        render_wav(&program, beats, Some(out_path), stems, &wav)
    } else {
        eprintln!("patter render: cannot write `{out_path}`: give a .mid (MIDI file) or .wav (audio through the built-in synth) name");
        ExitCode::from(2)
    }
}

/// Longest audio render accepted (one hour at the chosen rate), so a mistyped length
/// cannot exhaust memory.
const MAX_WAV_SECONDS: f64 = 3600.0;

/// How audio renders are made: output format and where samples come from.
struct WavOptions {
    rate: u32,
    bits: patter_synth::WavBits,
    /// 1 (mono: the mean of left and right) or 2.
    channels: u16,
    /// The file's exact length, when asked for in seconds (no tail).
    exact_seconds: Option<f64>,
    /// `--samples` folders, searched before `PATTER_SAMPLES` and the default folders.
    sample_roots: Vec<PathBuf>,
}

/// Render the mix to `out_path` and/or one WAV per player into `stems`.
fn render_wav(
    program: &patter_pattern::Program,
    beats: Time,
    out_path: Option<&str>,
    stems: Option<&str>,
    opts: &WavOptions,
) -> ExitCode {
    let rate = opts.rate;
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
    let seconds = patter_synth::plan::render_seconds(beats, program.tempo, opts.exact_seconds);
    if seconds > MAX_WAV_SECONDS {
        eprintln!("patter render: {seconds:.0} s of audio is more than the {MAX_WAV_SECONDS:.0} s a render may be");
        return ExitCode::from(2);
    }
    let bank = load_samples(&events, &opts.sample_roots, rate);
    let plan = patter_synth::plan::Plan::new(&events, program.tempo, seconds, rate, Arc::new(bank));
    for (name, n) in &plan.unknown {
        eprintln!("{}", crate::play::unknown_sound(name, Some(*n)));
    }
    if let Some(out_path) = out_path {
        let mut bar = crate::progress::Progress::new(plan.total_frames, rate);
        let (samples, stats) = plan.render(&mut |f| bar.update(f));
        bar.finish();
        let samples = to_channels(samples, opts.channels);
        if let Err(e) = patter_synth::write_wav(out_path, &samples, rate, opts.channels, opts.bits)
        {
            eprintln!("patter: cannot write {out_path}: {e}");
            return ExitCode::FAILURE;
        }
        let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        eprintln!(
            "patter: wrote {out_path}: {} notes, {seconds:.1} s at {rate} Hz, peak {peak:.3}{}{}",
            (plan.notes.len() as u64).saturating_sub(stats.missing),
            if plan.skipped > 0 {
                format!(" ({} events with no sound skipped)", plan.skipped)
            } else {
                String::new()
            },
            if stats.stolen > 0 {
                format!(" ({} voices stolen)", stats.stolen)
            } else {
                String::new()
            }
        );
    }
    if let Some(dir) = stems {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("patter: cannot create the stems folder {dir}: {e}");
            return ExitCode::FAILURE;
        }
        for (i, player) in program.players.iter().enumerate() {
            let (samples, count) = plan.stem(u32::try_from(i).unwrap_or(u32::MAX));
            let samples = to_channels(samples, opts.channels);
            let path = Path::new(dir).join(format!("{}.wav", stem_name(&player.name, i)));
            if let Err(e) = patter_synth::write_wav(&path, &samples, rate, opts.channels, opts.bits)
            {
                eprintln!("patter: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            eprintln!("patter: wrote {}: {count} notes", path.display());
        }
    }
    ExitCode::SUCCESS
}

/// Interleaved stereo to the output's channel count; mono is the two sides' mean, so a
/// centred sound keeps its level.
fn to_channels(stereo: Vec<f32>, channels: u16) -> Vec<f32> {
    if channels == 1 {
        stereo
            .chunks_exact(2)
            .map(|lr| match lr {
                [l, r] => 0.5 * (l + r),
                _ => 0.0,
            })
            .collect()
    } else {
        stereo
    }
}

/// A file name for a player's stem: its name with anything unusual in a file name replaced.
fn stem_name(name: &str, index: usize) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        format!("player{index}")
    } else {
        clean
    }
}

/// Decode the sample folders the events name (and only those), from the `--samples`
/// folders, then `PATTER_SAMPLES`, then the default folders. Problems are warnings.
fn load_samples(
    events: &[patter_pattern::Event],
    roots: &[PathBuf],
    rate: u32,
) -> patter_synth::SampleBank {
    let roots = patter_synth::SampleLibrary::default_roots(roots);
    let (library, warnings) = patter_synth::SampleLibrary::scan(&roots);
    for w in &warnings {
        eprintln!("patter: samples: {w}");
    }
    let (bank, warnings) = patter_synth::plan::load_for(&library, events, rate);
    for w in &warnings {
        eprintln!("patter: samples: {w}");
    }
    bank
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter render: {msg}\nusage: patter render FILE.pat (--beats N | --bars N | --cycles N | --seconds N) [--seed S] [--rate HZ] [--bits 16|24|32] [--channels 1|2] [--samples DIR]... [--stems DIR] -o out.mid|out.wav | --score out.osc [--synthdefs DIR] [--input IN.jsonl]");
    ExitCode::from(2)
}
