//! `patter`: the live-coding language's command-line entry point.
//!
//! Subcommands: `events` prints the events a program produces (the contract the rest of the
//! system is tested on). Errors are rendered diagnostics on stderr with a non-zero exit.

mod args;
mod events;
mod input_file;
mod jsonl;
mod lint;
mod loader;
mod midi_learn;
mod null;
mod offline;
mod osc_in;
mod output;
mod play;
mod progress;
mod protocol;
mod remote;
mod render;
mod repl;
mod sc;
mod serve;
mod session;
mod shm_dump;
mod watch;

use std::process::ExitCode;

const USAGE: &str = "\
patter — live-coding music patterns

usage:
  patter [repl] [--out OUTPUT]...      the live REPL (:help inside lists its commands)
      --seed S  --latency SECONDS  --tempo BPM  --watch FILE.pat  --history FILE|none
      --samples DIR                    sample folders for the synth (repeatable)
      --midi-in SPEC                   a MIDI input (repeatable): jack (the port
                                       patter:midi_in), jack:PATTERN (connect JACK
                                       sources containing PATTERN), NAME (the MIDI
                                       port containing NAME), all (every MIDI port)
  patter events FILE.pat [options]     print the events a program produces
  patter events -e 'CODE' [options]
      --cycles N | --beats N           how much to print (default: 1 cycle)
      --from B | --from SCENE          start at beat B (default 0) or where the
                                       arrangement first plays SCENE
      --player NAME                    only this player
      --seed S                         override the program's seed
      --format table|jsonl|count       output format (default table)
  patter play FILE.pat [--out OUTPUT]   play until Ctrl-C (synth, the default; jack-midi,
                                       midi:PORT, midi-virtual:NAME, smf:FILE.mid, null,
                                       scsynth[:HOST:PORT], supernova, scsynth-boot,
                                       dirt, osc:HOST:PORT/ADDR, shm:NAME)
      --seconds N  --seed S  --latency SECONDS  --connect JACKPORT  --clock on
      --sc-latency S  --synthdefs DIR  --sc-block N  --sc-threads N  --sc-path PROGRAM
      --watch                          re-evaluate FILE.pat on every save
      --midi-in SPEC                   a MIDI input (repeatable; as for the REPL)
      --samples DIR                    sample folders for the synth (repeatable)
  patter render FILE.pat -o out.mid    write the events to a Standard MIDI File,
  patter render FILE.pat -o out.wav    or render them through the built-in synth
      --beats N | --bars N | --cycles N | --seconds N (the file's exact length)
      --seed S  --rate HZ  --bits 16|24|32  --channels 1|2
      --samples DIR                    sample folders (repeatable; also PATTER_SAMPLES)
      --stems DIR                      also write one WAV per player into DIR
  patter render FILE.pat --score out.osc   a SuperCollider NRT score (scsynth -N)
      --beats N | --bars N | --cycles N  --synthdefs DIR
  patter shm-dump NAME [--count N]     print the records of the shared-memory ring NAME
      --wait SECONDS                   (written by `patter play --out shm:NAME`) as they arrive
  patter serve [--listen ADDR] [--socket PATH] [--out OUTPUT]...
                                       the engine alone, for editors and remote REPLs
      --state FILE  --resume  --allow-remote
  patter send FILE.pat | -  [--json] [--doc NAME] [--connect ADDR]
                                       evaluate a file or a stdin block in the engine
  patter repl --connect ADDR           the REPL attached to a running engine
  patter help                          this text
  patter --version
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // `patter render --help` and the like: the usage, not "unknown option".
    if argv.iter().skip(1).any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match argv.first().map(String::as_str) {
        Some("events") => events::run(argv.get(1..).unwrap_or_default()),
        Some("render") => render::run(argv.get(1..).unwrap_or_default()),
        Some("play") => play::run(argv.get(1..).unwrap_or_default()),
        Some("shm-dump") => shm_dump::run(argv.get(1..).unwrap_or_default()),
        Some("serve") => serve::run(argv.get(1..).unwrap_or_default()),
        Some("send") => remote::send(argv.get(1..).unwrap_or_default()),
        Some("repl") if wants_engine(&argv) => remote::repl(argv.get(1..).unwrap_or_default()),
        Some(flag) if flag.starts_with("--") && wants_engine(&argv) => remote::repl(&argv),
        Some("repl") => repl::run(argv.get(1..).unwrap_or_default()),
        None => repl::run(&[]),
        Some("help") | Some("--help") | Some("-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version") | Some("-V") => {
            println!("patter {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        // `patter --out null` is the REPL with options.
        Some(flag) if flag.starts_with("--") => repl::run(&argv),
        Some(other) => {
            eprintln!("patter: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `--connect` (or `--connect=ADDR`) among the REPL's arguments: attach to `patter serve`.
fn wants_engine(argv: &[String]) -> bool {
    argv.iter()
        .any(|a| a == "--connect" || a.starts_with("--connect="))
}
