//! `patter play`: play a file until interrupted, on the chosen output.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use patter_runtime::scheduler::{LoadMode, Phase};
use patter_runtime::sink::Sink;
use patter_runtime::{Command, Engine, EngineConfig};

use crate::args::Args;
use crate::loader::{load_program, seed_arg};

const OUTPUTS: &str =
    "  --out jack-midi                JACK MIDI (port patter:midi_out), frame-accurate
  --out midi:NAME                the first ALSA/CoreMIDI/WinMM output port whose name contains NAME
  --out midi-virtual:NAME        a new virtual MIDI port called NAME
  --out smf:FILE.mid             record what plays to a MIDI file
  --out null                     play silently (events are still scheduled and counted)
  (give --out more than once to play to several; a player with `out: \"midi\"` or
   `out: \"smf\"` goes only to that output)";

pub fn run(argv: &[String]) -> ExitCode {
    let args = match Args::parse_with_flags(
        argv,
        &[
            "out",
            "seconds",
            "seed",
            "latency",
            "connect",
            "clock",
            "midi-rate",
        ],
        &["watch"],
    ) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    let [file] = args.positional.as_slice() else {
        return usage("give one FILE.pat");
    };
    let seed = match seed_arg(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let seconds = match args.get("seconds").map(str::parse::<f64>) {
        None => None,
        Some(Ok(s)) if s > 0.0 && s.is_finite() => Some(s),
        _ => return usage("--seconds takes a number above 0"),
    };
    let latency = match args.get("latency").map(str::parse::<f64>) {
        None => 0.0,
        Some(Ok(s)) if s.is_finite() && (-1.0..=10.0).contains(&s) => s,
        _ => return usage("--latency takes seconds between -1 and 10"),
    };
    if args.has("watch") {
        let outs = args
            .options
            .iter()
            .filter(|(k, _)| k == "out")
            .map(|(_, v)| v.clone())
            .collect();
        return crate::watch::play(file, outs, seed, latency, seconds);
    }
    let Some(program) = load_program(file, seed) else {
        return ExitCode::FAILURE;
    };

    let mut engine = Engine::start(EngineConfig {
        tempo: program.tempo,
        beats_per_bar: program.cycle_beats,
        ..EngineConfig::default()
    });
    let mut outs: Vec<&str> = args
        .options
        .iter()
        .filter(|(k, _)| k == "out")
        .map(|(_, v)| v.as_str())
        .collect();
    if outs.is_empty() {
        outs.extend(default_outputs());
    }
    let rate = match args.get("midi-rate").map(str::parse::<f64>) {
        None => None,
        Some(Ok(r)) if r > 0.0 && r.is_finite() => Some(r),
        _ => {
            return usage("--midi-rate takes messages per second (a DIN cable carries about 1000)")
        }
    };
    let clock = match args.get("clock") {
        None | Some("off") => false,
        Some("on") => true,
        Some(_) => return usage("--clock takes on or off"),
    };
    // Several outputs may play at once; a player picks one with its `out` key.
    let mut names = Vec::new();
    for out in outs {
        let sink: Box<dyn Sink> = match open_output(
            out,
            &engine,
            latency,
            clock,
            rate,
            &program,
            args.get("connect"),
        ) {
            Ok(s) => s,
            Err(msg) => {
                eprintln!("patter play: {msg}\n\nOutputs:\n{OUTPUTS}\n\nTo hear a piece without any device, render it: patter render {file} --bars 8 -o out.mid");
                return ExitCode::FAILURE;
            }
        };
        names.push(sink.name().to_string());
        engine.send(Command::AddSink(sink));
    }
    let name = names.join(", ");
    let tempo = program.tempo;
    engine.send(Command::Load {
        program: Box::new(program),
        mode: LoadMode::Replace,
        quant: None,
        phase: Phase::Continue,
        tempo: Some(tempo),
    });
    engine.send(Command::Play);

    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    if ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).is_err() {
        eprintln!("patter play: cannot catch Ctrl-C; stop with --seconds");
    }
    eprintln!(
        "patter: playing {file} on {name} at {} BPM — Ctrl-C to stop",
        patter_pattern::fmt_num(tempo)
    );
    let start = Instant::now();
    while !interrupted.load(Ordering::SeqCst)
        && seconds.is_none_or(|s| start.elapsed().as_secs_f64() < s)
    {
        std::thread::sleep(Duration::from_millis(20));
        for n in engine.take_notices() {
            if let patter_runtime::Notice::Muted { player, beat } = n {
                eprintln!("patter: player `{player}` produced too many events at beat {beat} and was muted; the others play on");
            }
        }
    }
    // Releases every sounding note and closes the outputs (the MIDI file is written here).
    let metrics = engine.metrics();
    engine.shutdown();
    for s in metrics.sinks {
        eprintln!(
            "patter: {}: {} sent, {} late, {} dropped, {} errors",
            s.name, s.sent, s.late, s.dropped, s.errors
        );
    }
    ExitCode::SUCCESS
}

/// The outputs used when none is given (`patter play`, the REPL).
pub(crate) fn default_outputs() -> Vec<&'static str> {
    vec!["jack-midi"]
}

/// Open one output by its spec (`jack-midi`, `midi:NAME`, `smf:FILE.mid`, `null`, …).
pub(crate) fn open_output(
    out: &str,
    engine: &Engine,
    latency: f64,
    clock: bool,
    rate: Option<f64>,
    program: &patter_pattern::Program,
    connect: Option<&str>,
) -> Result<Box<dyn Sink>, String> {
    match out.split_once(':').unwrap_or((out, "")) {
        ("jack-midi", _) => {
            let mut s = patter_runtime::sink::jack_midi::JackMidiSink::start(
                "patter",
                "midi_out",
                engine.origin(),
            )?;
            s.set_latency(latency);
            s.set_clock_out(clock);
            if let Some(dest) = connect {
                s.connect_to(dest)?;
            }
            Ok(Box::new(s))
        }
        ("midi", name) => {
            let wanted = name.to_string();
            let mut s = patter_runtime::sink::midi::MidiSink::start_reconnecting(
                format!("midi:{name}"),
                move || patter_runtime::sink::midi::midir_port::open(&wanted),
                engine.origin(),
                rate,
            )?;
            s.set_latency(latency);
            s.set_clock_out(clock);
            Ok(Box::new(s))
        }
        ("midi-virtual", name) => {
            let name = if name.is_empty() { "patter" } else { name };
            let port = patter_runtime::sink::midi::midir_port::virtual_port(name)?;
            let mut s = patter_runtime::sink::midi::MidiSink::start_limited(
                format!("midi-virtual:{name}"),
                port,
                engine.origin(),
                rate,
            );
            s.set_latency(latency);
            s.set_clock_out(clock);
            Ok(Box::new(s))
        }
        ("smf", path) if !path.is_empty() => {
            let mut r = patter_runtime::sink::smf::SmfRecorder::new(path, program.tempo);
            r.set_players(program.players.iter().map(|p| p.name.to_string()).collect());
            Ok(Box::new(r))
        }
        // Counts only: a collecting sink would keep every event of a long session.
        ("null", _) => Ok(Box::new(crate::null::NullSink::default())),
        _ => Err(format!("unknown output `{out}`")),
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter play: {msg}\nusage: patter play FILE.pat [--watch] [--out OUTPUT] [--seconds N] [--seed S] [--latency SECONDS] [--connect JACKPORT] [--clock on|off] [--midi-rate N]\n\nOutputs:\n{OUTPUTS}");
    ExitCode::from(2)
}
