//! Scripting a generative piece in Rust with patter's engine, without the language:
//! looping note lists, scenes built by closures, control changes, metrics, seek and stop.
//!
//! `cargo run -p patter-runtime --example library -- [--jack]`
//!
//! With `--jack` it plays to JACK MIDI (start `jackd -d dummy -r 48000 -p 256` first);
//! otherwise it records what plays to `library-example.mid`.

use std::time::Duration;

use patter_pattern::Time;
use patter_runtime::library::{program_of, NoteLoop};
use patter_runtime::sink::smf::SmfRecorder;
use patter_runtime::{Command, Engine, EngineConfig};

fn beats(n: i64, d: i64) -> Time {
    Time::new(n, d)
}

fn main() {
    let jack = std::env::args().any(|a| a == "--jack");
    let mut engine = Engine::start(EngineConfig {
        tempo: 132.0,
        ..EngineConfig::default()
    });

    // Outputs.
    if jack {
        match patter_runtime::sink::jack_midi::JackMidiSink::start(
            "patter-example",
            "midi_out",
            engine.origin(),
        ) {
            Ok(s) => {
                engine.send(Command::AddSink(Box::new(s)));
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    } else {
        engine.send(Command::AddSink(Box::new(SmfRecorder::new(
            "library-example.mid",
            132.0,
        ))));
    }

    // Scenes: closures that build programs when launched.
    engine.register_scene("intro", || {
        let bass = NoteLoop::new("bass", 1, beats(4, 1))
            .note(beats(0, 1), 36, 100, beats(1, 2))
            .note(beats(3, 2), 36, 90, beats(1, 4))
            .note(beats(5, 2), 43, 90, beats(1, 2));
        program_of(&[bass], 132.0)
    });
    engine.register_scene("main", || {
        let bass = NoteLoop::new("bass", 1, beats(4, 1))
            .note(beats(0, 1), 36, 110, beats(1, 4))
            .note(beats(1, 2), 48, 80, beats(1, 4))
            .note(beats(2, 1), 39, 100, beats(1, 2));
        let mut chords = NoteLoop::new("chords", 2, beats(8, 1));
        for (i, root) in [60u8, 63, 58, 65].iter().enumerate() {
            for k in [0u8, 3, 7] {
                chords = chords.note(beats(2 * i as i64, 1), root + k, 70, beats(7, 4));
            }
        }
        let drums = (0..8).fold(NoteLoop::new("drums", 9, beats(4, 1)), |l, i| {
            l.note(
                beats(i, 2),
                if i % 4 == 2 { 38 } else { 42 },
                90,
                beats(1, 8),
            )
        });
        program_of(&[bass, chords, drums], 132.0)
    });
    println!("scenes: {:?}", engine.scene_names());

    let metrics = engine.subscribe();
    engine.launch_scene("intro");
    engine.send(Command::Play);
    std::thread::sleep(Duration::from_millis(1800));
    engine.launch_scene("main");
    // A control change pushed from the script: filter cutoff on channel 2.
    engine.control_change(2, 74, 100);
    std::thread::sleep(Duration::from_millis(1800));
    engine.send(Command::Seek(Time::int(32)));
    std::thread::sleep(Duration::from_millis(600));
    if let Some(m) = metrics.try_iter().last() {
        println!("events scheduled: {}, late: {}", m.events, m.late_events);
        for s in m.sinks {
            println!("{}: sent {}, dropped {}", s.name, s.sent, s.dropped);
        }
    }
    let t = engine.transport();
    println!(
        "at beat {:.2}, tempo {}, players {:?}",
        t.beat, t.tempo, t.players
    );
    engine.send(Command::StopTransport);
    engine.shutdown();
    if !jack {
        println!("wrote library-example.mid");
    }
}
