//! `patter events`: compile a program and print its events.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use patter_lang::{compile_with, Diagnostic, Options};
use patter_pattern::{Budget, Event, QueryCache, Time, TimeSpan};

use crate::args::Args;
use crate::loader::{read_program, FsLoader};
use crate::output::{write_event, Format};

/// Steps allowed per player per cycle queried: far above any musical pattern.
const BUDGET_PER_CYCLE: u64 = 2_000_000;

pub fn run(argv: &[String]) -> ExitCode {
    // `--input FILE.jsonl`: the queries read a recorded performance's input.
    match crate::input_file::with_recording(argv, || run_args(argv)) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("patter events: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run_args(argv: &[String]) -> ExitCode {
    let args = match Args::parse(
        argv,
        &[
            "e", "cycles", "beats", "from", "player", "seed", "format", "input",
        ],
    ) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    let (name, source) = match (args.get("e"), args.positional.as_slice()) {
        (Some(code), []) => ("<code>".to_string(), code.to_string()),
        (None, [file]) => match read_program(file) {
            Ok(s) => (file.clone(), s),
            Err(msg) => {
                eprintln!("patter: {msg}");
                return ExitCode::FAILURE;
            }
        },
        (Some(_), _) => return usage("give either a file or -e 'CODE', not both"),
        (None, []) => return usage("which program? give a FILE.pat or -e 'CODE'"),
        (None, _) => return usage("give one file"),
    };
    let format = match args.get("format").unwrap_or("table") {
        "table" => Format::Table,
        "jsonl" => Format::Jsonl,
        "count" => Format::Count,
        other => return usage(&format!("unknown format `{other}` (table, jsonl or count)")),
    };
    let seed = match args.get("seed").map(str::parse::<u64>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => return usage("--seed takes a whole number"),
    };
    let number = |key: &str| -> Result<Option<Time>, String> {
        match args.get(key) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() && (0.0..=1e9).contains(&x) => Ok(Some(Time::from_f64(x))),
                _ => Err(format!("--{key} takes a number from 0 to 1e9")),
            },
        }
    };
    // `--from` is a beat, or the name of a scene in the program's arrangement.
    let from_scene = args
        .get("from")
        .filter(|v| v.parse::<f64>().is_err())
        .map(str::to_string);
    let from_number = if from_scene.is_some() {
        Ok(None)
    } else {
        number("from")
    };
    let (cycles, beats, mut from) = match (number("cycles"), number("beats"), from_number) {
        (Ok(c), Ok(b), Ok(f)) => (c, b, f.unwrap_or(Time::ZERO)),
        (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => return usage(&m),
    };
    if cycles.is_some() && beats.is_some() {
        return usage("give --cycles or --beats, not both");
    }

    let compiled = compile_with(&name, &source, &FsLoader, &Options { seed });
    let color = std::io::stderr().is_terminal();
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            patter_lang::diagnostic::render(&compiled.diagnostics, &compiled.sources, color)
        );
    }
    let Some(mut program) = compiled.program else {
        return ExitCode::FAILURE;
    };
    if let Some(scene) = &from_scene {
        match program.scene_start(scene) {
            Some(b) => from = b,
            None => {
                let mut names: Vec<&str> = Vec::new();
                for s in program.arrangement.iter().flat_map(|a| a.sections.iter()) {
                    if !names.contains(&&*s.scene) {
                        names.push(&s.scene);
                    }
                }
                for s in program.launched_scenes() {
                    if !names.contains(&s) {
                        names.push(s);
                    }
                }
                eprintln!(
                    "patter: --from takes a beat, or a scene of the arrangement or of a `launch`; `{scene}` is neither (scenes: {})",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                );
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(only) = args.get("player") {
        match program.players.iter().position(|p| &*p.name == only) {
            Some(i) => {
                let mut keep = program.players.swap_remove(i);
                // Inspecting one player shows its events even when it is muted.
                keep.muted = false;
                program.players = vec![keep];
                program.solo.clear();
            }
            None => {
                let names: Vec<&str> = program.players.iter().map(|p| &*p.name).collect();
                eprintln!(
                    "patter: there is no player `{only}` (players: {})",
                    names.join(", ")
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let length = match (cycles, beats) {
        (_, Some(b)) => b,
        (Some(c), None) => c * program.cycle_beats,
        (None, None) => program.cycle_beats,
    };
    let end = from + length;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut cache = QueryCache::default();
    let mut events: Vec<Event> = Vec::new();
    let mut failed = Vec::new();
    let mut count: u64 = 0;
    let mut t = from;
    if format == Format::Table {
        let _ = crate::output::write_table_header(&mut out);
    }
    // One cycle per query: bounded memory however long the range, and the budget is per
    // cycle so a long render does not trip it.
    while t < end {
        let stop = (t + program.cycle_beats).min(end);
        events.clear();
        program.query(
            TimeSpan::new(t, stop),
            &mut cache,
            Budget::new(BUDGET_PER_CYCLE),
            &mut events,
            &mut failed,
        );
        if let Some(&i) = failed.first() {
            let _ = out.flush();
            let name = program
                .players
                .get(i as usize)
                .map(|p| p.name.to_string())
                .unwrap_or_default();
            let d = Diagnostic {
                severity: patter_lang::Severity::Error,
                code: "E0501",
                message: format!("player `{name}` produces too many events (between beats {t} and {stop})"),
                labels: Vec::new(),
                help: Some("look for a very large `fast`, `*` or `ply` factor, or a tiny `dur`; while playing live, such a player is muted and the others go on".into()),
                incomplete: false,
            };
            eprint!(
                "{}",
                patter_lang::diagnostic::render(&[d], &compiled.sources, color)
            );
            return ExitCode::FAILURE;
        }
        for e in &events {
            count += 1;
            if format != Format::Count && write_event(&mut out, format, &program, e).is_err() {
                // stdout closed (e.g. piped into `head`): stop quietly.
                return ExitCode::SUCCESS;
            }
        }
        t = stop;
    }
    if format == Format::Count {
        let _ = writeln!(out, "{count}");
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter events: {msg}\nusage: patter events FILE.pat|-e 'CODE' [--cycles N | --beats N] [--from B|SCENE] [--player NAME] [--seed S] [--format table|jsonl|count] [--input IN.jsonl]");
    ExitCode::from(2)
}
