//! `patter play`: play a file until interrupted, on the chosen output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use patter_runtime::scheduler::{LoadMode, Phase};
use patter_runtime::sink::audio::samples::{NoticeFn, SampleNotice, SampleRequests};
use patter_runtime::sink::audio::{AudioBackend, AudioOptions, AudioSink, NoAudioDevice};
use patter_runtime::sink::Sink;
use patter_runtime::{Command, Engine, EngineConfig};

use crate::args::Args;
use crate::loader::{load_program, seed_arg};

const OUTPUTS: &str =
    "  --out synth                    the built-in synth (the default): JACK when a server runs,
                                 else the default ALSA device (synth:jack, synth:alsa:DEVICE
                                 choose one; --connect off leaves JACK ports unconnected)
  --out jack-midi                JACK MIDI (port patter:midi_out), frame-accurate
  --out midi:NAME                the first ALSA/CoreMIDI/WinMM output port whose name contains NAME
  --out midi-virtual:NAME        a new virtual MIDI port called NAME
  --out smf:FILE.mid             record what plays to a MIDI file
  --out shm:NAME                 publish events to the shared-memory ring /dev/shm/NAME
                                 (read it with `patter shm-dump NAME`; see docs/shm.md)
  --out dirt[:HOST:PORT]         SuperDirt's /dirt/play, Tidal's conventions (default 127.0.0.1:57120)
  --out osc:HOST:PORT/ADDRESS    any OSC address, e.g. osc:127.0.0.1:9000/note?args=midinote:i,amp
                                 (settings after `?`: latency, nudge, mode=bundle|now, args; docs/osc.md)
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
            "sc-latency",
            "synthdefs",
            "sc-block",
            "sc-threads",
            "sc-path",
            "samples",
            "midi-in",
            "record-input",
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
    let sample_roots = sample_roots(&args);
    let midi_in = match crate::midi_learn::specs(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    if args.has("watch") && args.get("record-input").is_some() {
        return usage(
            "--record-input does not work with --watch yet; play without --watch to record",
        );
    }
    if args.has("watch") {
        let outs = args
            .options
            .iter()
            .filter(|(k, _)| k == "out")
            .map(|(_, v)| v.clone())
            .collect();
        return crate::watch::play(file, outs, seed, latency, seconds, sample_roots, midi_in);
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
    let settings = OutputSettings {
        latency,
        clock,
        midi_rate: rate,
        connect: args.get("connect").map(String::from),
        sample_roots,
        sc: args.clone(),
    };
    // Several outputs may play at once; a player picks one with its `out` key.
    let mut names = Vec::new();
    for out in outs {
        let opened = open_output(out, &engine, &program, &settings);
        let sink: Box<dyn Sink> = match opened {
            Ok(s) => s,
            Err(OpenError::NoAudio(e)) => {
                eprintln!("{}", no_audio_paragraph(&e, file));
                return ExitCode::FAILURE;
            }
            Err(OpenError::Other(msg)) => {
                eprintln!("patter play: {msg}\n\nOutputs:\n{OUTPUTS}\n{}\n\nTo hear a piece without any device, render it: patter render {file} --bars 8 -o out.wav", crate::sc::OUTPUTS);
                return ExitCode::FAILURE;
            }
        };
        names.push(match sink.audio_format() {
            Some((rate, buffer)) => format!("{} ({rate} Hz, {buffer}-frame buffers)", sink.name()),
            None => sink.name().to_string(),
        });
        engine.send(Command::AddSink(sink));
    }
    let name = names.join(", ");
    let (mut inputs, problems) = crate::midi_learn::open(
        &engine,
        &midi_in,
        Arc::new(|line: String| eprintln!("patter: {line}")),
    );
    if !problems.is_empty() {
        for p in problems {
            eprintln!("patter play: {p}");
        }
        engine.shutdown();
        return ExitCode::FAILURE;
    }
    let tempo = program.tempo;
    engine.send(Command::Load {
        program: Box::new(program),
        mode: LoadMode::Replace,
        quant: None,
        phase: Phase::Continue,
        tempo: Some(tempo),
    });
    let recorder = match args.get("record-input") {
        None => None,
        Some(path) => match crate::input_file::Recorder::start(&engine, path) {
            Ok(r) => Some((r, path.to_string())),
            Err(msg) => {
                eprintln!("patter play: {msg}");
                return ExitCode::FAILURE;
            }
        },
    };
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
    let input_list = inputs.list();
    inputs.close();
    engine.shutdown();
    if let Some((r, path)) = recorder {
        match r.finish() {
            Ok(n) => eprintln!(
                "patter: recorded {n} input message{} to {path} (replay: patter render {file} --input {path} …)",
                if n == 1 { "" } else { "s" }
            ),
            Err(msg) => eprintln!("patter play: {msg}"),
        }
    }
    for i in input_list {
        eprintln!(
            "patter: MIDI input {}: {} messages, {} dropped",
            i.name, i.messages, i.dropped
        );
    }
    for s in metrics.sinks {
        eprintln!("{}", sink_summary(&s));
    }
    ExitCode::SUCCESS
}

/// The line a sink gets when playing ends.
pub(crate) fn sink_summary(s: &patter_runtime::sink::SinkMetrics) -> String {
    let mut line = format!(
        "patter: {}: {} sent, {} late, {} dropped, {} errors",
        s.name, s.sent, s.late, s.dropped, s.errors
    );
    if s.clock_corrections > 0 {
        line.push_str(&format!(
            ", {} clock corrections (the device's clock drifted)",
            s.clock_corrections
        ));
    }
    if s.resent > 0 {
        line.push_str(&format!(
            ", {} note-offs sent again after xruns (no stuck notes)",
            s.resent
        ));
    }
    line
}

/// The warning for a sound name that is neither a built-in instrument nor a sample folder;
/// with `skipped`, how many events were skipped for it (a render), else it is live.
pub(crate) fn unknown_sound(name: &str, skipped: Option<usize>) -> String {
    let tail = match skipped {
        Some(n) => format!(
            "its {n} event{} were skipped",
            if n == 1 { "" } else { "s" }
        ),
        None => "its events are skipped".to_string(),
    };
    format!(
        "patter: no sound called `{name}`: it is not a built-in instrument, and no sample folder \
         has that name (sample folders: --samples DIR, PATTER_SAMPLES, \
         ~/.local/share/patter/samples); {tail}"
    )
}

/// The outputs used when none is given (`patter play`, the REPL).
pub(crate) fn default_outputs() -> Vec<&'static str> {
    vec!["synth"]
}

/// Why an output could not be opened.
pub(crate) enum OpenError {
    /// The synth found no audio device (reported as one paragraph).
    NoAudio(NoAudioDevice),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::NoAudio(e) => f.write_str(&no_audio_paragraph(e, "FILE.pat")),
            OpenError::Other(msg) => f.write_str(msg),
        }
    }
}

impl From<String> for OpenError {
    fn from(msg: String) -> OpenError {
        OpenError::Other(msg)
    }
}

/// One paragraph: what was tried and why each failed, how to start JACK, how to render.
fn no_audio_paragraph(e: &NoAudioDevice, file: &str) -> String {
    let tried: Vec<String> = e
        .attempts
        .iter()
        .map(|a| format!("{} ({})", a.backend, a.reason))
        .collect();
    format!(
        "patter play: found no audio device to play on. Tried {}. \
         Start a JACK server and play again (a headless one: `jackd -r -d dummy -r 48000 -p 256 &`), \
         or render to a file instead: `patter render {file} --bars 8 -o out.wav`.",
        tried.join(", then ")
    )
}

/// The `--samples DIR` folders, in order.
pub(crate) fn sample_roots(args: &Args) -> Vec<PathBuf> {
    args.options
        .iter()
        .filter(|(n, _)| n == "samples")
        .map(|(_, v)| PathBuf::from(v))
        .collect()
}

/// How outputs are opened: what `patter play`'s options say, or a session's defaults.
#[derive(Clone, Default)]
pub(crate) struct OutputSettings {
    /// Seconds added to every onset.
    pub latency: f64,
    /// Send MIDI clock.
    pub clock: bool,
    /// MIDI messages per second at most.
    pub midi_rate: Option<f64>,
    /// Where JACK outputs connect (`off`: nowhere).
    pub connect: Option<String>,
    /// `--samples` folders for the synth.
    pub sample_roots: Vec<PathBuf>,
    /// The SuperCollider options (`--sc-latency`, `--synthdefs`, …).
    pub sc: Args,
}

/// Cycles of a program whose sound names are loaded before it plays.
const PRELOAD_CYCLES: i64 = 4;
/// Longest wait for those samples before playing anyway.
const PRELOAD_WAIT: Duration = Duration::from_secs(30);

/// The sample folders `program`'s first cycles name.
pub(crate) fn first_sound_names(program: &patter_pattern::Program) -> Vec<String> {
    let beats = program.cycle_beats * patter_pattern::Time::int(PRELOAD_CYCLES);
    let events = patter_runtime::render::events(program, patter_pattern::Time::ZERO, beats)
        .unwrap_or_default();
    patter_synth::plan::sound_names(&events)
        .into_iter()
        .map(String::from)
        .collect()
}

/// The synth's sample notices on the console: unknown names once each, problems.
pub(crate) fn console_notices() -> NoticeFn {
    NoticeFn(Arc::new(|n: &SampleNotice| match n {
        SampleNotice::Unknown(name) => eprintln!("{}", unknown_sound(name, None)),
        SampleNotice::Warning(w) => eprintln!("patter: samples: {w}"),
        SampleNotice::Loaded(_) => {}
    }))
}

/// Open one output by its spec (`synth`, `jack-midi`, `midi:NAME`, `smf:FILE.mid`, `dirt`,
/// `scsynth`, `null`, …): the one opener of `patter play`, the REPL and the session. The
/// synth loads the sample folders `program`'s first cycles name before it returns.
pub(crate) fn open_output(
    out: &str,
    engine: &Engine,
    program: &patter_pattern::Program,
    settings: &OutputSettings,
) -> Result<Box<dyn Sink>, OpenError> {
    open_output_with_samples(out, engine, program, settings).map(|(sink, _)| sink)
}

/// [`open_output`], also returning the synth's sample loader (to ask it for the folders
/// of programs loaded later).
pub(crate) fn open_output_with_samples(
    out: &str,
    engine: &Engine,
    program: &patter_pattern::Program,
    settings: &OutputSettings,
) -> Result<(Box<dyn Sink>, Option<SampleRequests>), OpenError> {
    if let Some(sc) = crate::sc::open(out, &settings.sc, engine.origin()) {
        return sc.map(|s| (s, None)).map_err(OpenError::Other);
    }
    let latency = settings.latency;
    let clock = settings.clock;
    let rate = settings.midi_rate;
    let connect = settings.connect.as_deref();
    let sink: Result<Box<dyn Sink>, OpenError> = match out.split_once(':').unwrap_or((out, "")) {
        ("synth", rest) => {
            let backend = AudioBackend::parse(rest).ok_or_else(|| {
                format!("unknown synth output `{out}` (synth, synth:jack, synth:alsa:DEVICE)")
            })?;
            let opts = AudioOptions {
                backend,
                auto_connect: connect != Some("off"),
                latency,
                sample_roots: settings.sample_roots.clone(),
                notice: Some(console_notices()),
                ..AudioOptions::default()
            };
            return match AudioSink::open(&opts, engine.origin()) {
                Ok(s) => {
                    let requests = s.sample_requests();
                    let names = first_sound_names(program);
                    if !names.is_empty() {
                        requests.preload(names, PRELOAD_WAIT);
                    }
                    Ok((Box::new(s), Some(requests)))
                }
                Err(e) => Err(OpenError::NoAudio(e)),
            };
        }
        ("jack-midi", _) => {
            let mut s = patter_runtime::sink::jack_midi::JackMidiSink::start(
                "patter",
                "midi_out",
                engine.origin(),
            )?;
            s.set_latency(latency);
            s.set_clock_out(clock);
            if let Some(dest) = connect.filter(|c| *c != "off") {
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
        ("shm", name) => {
            let mut s =
                patter_shm::ShmSink::create(name, patter_shm::DEFAULT_CAPACITY, engine.origin())
                    .map_err(|e| e.to_string())?;
            s.set_latency(latency);
            Ok(Box::new(s))
        }
        ("dirt", _) | ("osc", _) => {
            let mut s = patter_runtime::sink::osc::OscSink::open(out, engine.origin())?;
            // --latency sets every output's latency, so `--latency 0.2` lines MIDI up with
            // SuperDirt; without it an OSC output keeps its own (0.2 s, or `?latency=`).
            if latency != 0.0 {
                s.set_latency(latency);
            }
            s.set_tempo(program.tempo);
            s.set_players(program.players.iter().map(|p| p.name.to_string()).collect());
            Ok(Box::new(s))
        }
        // Counts only: a collecting sink would keep every event of a long session.
        ("null", _) => Ok(Box::new(crate::null::NullSink::default())),
        _ => Err(format!("unknown output `{out}`").into()),
    };
    sink.map(|s| (s, None))
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter play: {msg}\nusage: patter play FILE.pat [--watch] [--out OUTPUT] [--seconds N] [--seed S] [--latency SECONDS] [--connect JACKPORT] [--clock on|off] [--midi-rate N] [--samples DIR]... [--record-input OUT.jsonl] [--midi-in jack|jack:PATTERN|NAME|all]...\n\nOutputs:\n{OUTPUTS}\n{}", crate::sc::OUTPUTS);
    ExitCode::from(2)
}
