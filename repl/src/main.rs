//! `patter`: the live-coding language's command-line entry point.
//!
//! Subcommands: `events` prints the events a program produces (the contract the rest of the
//! system is tested on). Errors are rendered diagnostics on stderr with a non-zero exit.

mod args;
mod events;
mod loader;
mod output;
mod play;
mod render;

use std::process::ExitCode;

const USAGE: &str = "\
patter — live-coding music patterns

usage:
  patter events FILE.pat [options]     print the events a program produces
  patter events -e 'CODE' [options]
      --cycles N | --beats N           how much to print (default: 1 cycle)
      --from B | --from SCENE          start at beat B (default 0) or where the
                                       arrangement first plays SCENE
      --player NAME                    only this player
      --seed S                         override the program's seed
      --format table|jsonl|count       output format (default table)
  patter play FILE.pat [--out OUTPUT]   play until Ctrl-C (jack-midi, midi:PORT,
                                       midi-virtual:NAME, smf:FILE.mid, null)
      --seconds N  --seed S  --latency SECONDS  --connect JACKPORT  --clock on
  patter render FILE.pat -o out.mid    write the events to a Standard MIDI File,
  patter render FILE.pat -o out.wav    or render them through the built-in synth
      --beats N | --bars N | --cycles N
      --seed S  --rate HZ  --bits 16|24|32
  patter help                          this text
  patter --version
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match argv.first().map(String::as_str) {
        Some("events") => events::run(argv.get(1..).unwrap_or_default()),
        Some("render") => render::run(argv.get(1..).unwrap_or_default()),
        Some("play") => play::run(argv.get(1..).unwrap_or_default()),
        Some("help") | Some("--help") | Some("-h") | None => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version") | Some("-V") => {
            println!("patter {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("patter: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
