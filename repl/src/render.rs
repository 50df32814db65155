//! `patter render`: write a program's events to a file, offline and faster than real time.

use std::process::ExitCode;

use patter_pattern::Time;

use crate::args::Args;
use crate::loader::{load_program, seed_arg};

pub fn run(argv: &[String]) -> ExitCode {
    let args = match Args::parse(argv, &["o", "output", "beats", "bars", "cycles", "seed"]) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    let [file] = args.positional.as_slice() else {
        return usage("give one FILE.pat");
    };
    let Some(out_path) = args.get("o").or(args.get("output")) else {
        return usage("where to? give -o out.mid");
    };
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
    let Some(program) = load_program(file, seed) else {
        return ExitCode::FAILURE;
    };
    // A bar is one cycle (4 beats by default).
    let beats = match unit {
        "beats" => Time::from_f64(amount),
        _ => Time::from_f64(amount) * program.cycle_beats,
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
    } else {
        eprintln!("patter render: cannot write `{out_path}`: only MIDI files (.mid) can be rendered in this version; audio (.wav) rendering comes with the built-in synth");
        ExitCode::from(2)
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter render: {msg}\nusage: patter render FILE.pat (--beats N | --bars N | --cycles N) [--seed S] -o out.mid");
    ExitCode::from(2)
}
