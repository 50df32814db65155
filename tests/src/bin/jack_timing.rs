//! Timing harness (not a test): plays a steady pattern through the JACK MIDI sink on a JACK
//! dummy server it starts itself, records arrival frames with its own JACK client, and
//! prints inter-onset jitter and onset error against the ideal grid, the scheduler's wake-up
//! lateness, and a 1000-player load run.
//!
//! `cargo run --release -p patter-tests --bin jack_timing [-- SECONDS]`

use patter_tests::stats::report;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use patter_runtime::sink::collect::CollectSink;
use patter_runtime::sink::jack_midi::JackMidiSink;
use patter_runtime::{Command, Engine, EngineConfig};
use patter_tests::compile;
use patter_tests::jackd::JackServer;

struct Recorder {
    input: jack::Port<jack::MidiIn>,
    seen: Arc<ArrayQueue<(u64, u8)>>,
}

impl jack::ProcessHandler for Recorder {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let base = ps.last_frame_time() as u64;
        for m in self.input.iter(ps) {
            if m.bytes.first().is_some_and(|b| b & 0xf0 == 0x90)
                && m.bytes.get(2).is_some_and(|v| *v > 0)
            {
                let _ = self
                    .seen
                    .push((base + m.time as u64, m.bytes.get(1).copied().unwrap_or(0)));
            }
        }
        jack::Control::Continue
    }
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let rate = 48_000u32;
    let Some(server) = JackServer::start("timing", rate, 256) else {
        eprintln!("jack_timing: jackd did not start (apt-get install jackd2)");
        std::process::exit(1);
    };
    // SAFETY: single-threaded at this point.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", &server.name) };
    std::env::set_var("JACK_NO_START_SERVER", "1");

    let Ok((client, _)) = jack::Client::new("recorder", jack::ClientOptions::NO_START_SERVER)
    else {
        eprintln!("jack_timing: cannot open the recorder client");
        std::process::exit(1);
    };
    let Ok(input) = client.register_port("in", jack::MidiIn::default()) else {
        std::process::exit(1)
    };
    let seen = Arc::new(ArrayQueue::new(1_000_000));
    let Ok(rec) = client.activate_async(
        (),
        Recorder {
            input,
            seen: seen.clone(),
        },
    ) else {
        std::process::exit(1)
    };

    let mut engine = Engine::start(EngineConfig::default());
    let sink = match JackMidiSink::start("patter", "midi_out", engine.origin()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jack_timing: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = sink.connect_to("recorder:in") {
        eprintln!("jack_timing: {e}");
        std::process::exit(1);
    }
    engine.send(Command::AddSink(Box::new(sink)));
    // Sixteenth notes at 120 BPM: 0.125 s = 6000 frames apart.
    let Some(p) = compile("tempo 120\nplay steady { note: \"0*16\", legato: 0.5 }").program else {
        std::process::exit(1)
    };
    patter_tests::play(&engine, p, Some(120.0));
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let metrics = engine.metrics();
    engine.shutdown();
    let _ = rec.deactivate();

    let mut frames = Vec::new();
    while let Some((f, _)) = seen.pop() {
        frames.push(f);
    }
    frames.sort_unstable();
    let period = 6000.0;
    let us_per_frame = 1e6 / rate as f64;
    println!(
        "JACK MIDI sink, dummy server {rate} Hz / 256 frames, 16ths at 120 BPM for {seconds} s"
    );
    let jitter: Vec<f64> = frames
        .windows(2)
        .map(|w| ((w[1] - w[0]) as f64 - period).abs())
        .collect();
    report("inter-onset jitter (frames)", "frames", jitter.clone());
    report(
        "inter-onset jitter (µs)",
        "µs",
        jitter.iter().map(|j| j * us_per_frame).collect(),
    );
    if let Some(&first) = frames.first() {
        let errors: Vec<f64> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (*f as f64 - (first as f64 + i as f64 * period)).abs())
            .collect();
        report("onset error vs ideal grid (frames)", "frames", errors);
    }
    let w = metrics.scheduler_wake_late_us;
    println!(
        "{:<34} n={:<6} p50={:>8} p99={:>8} max={:>8} µs",
        "scheduler wake-up lateness", w.count, w.p50, w.p99, w.max
    );
    println!(
        "{:<34} {} of {} events",
        "late events (steady)", metrics.late_events, metrics.events
    );
    for s in &metrics.sinks {
        println!(
            "{:<34} sent={} late={} dropped={} errors={}",
            s.name, s.sent, s.late, s.dropped, s.errors
        );
    }
    drop(server);

    // Load: 1000 players of sixteenth notes at 120 BPM.
    let src: String = (0..1000)
        .map(|i| format!("play p{i} {{ note: \"{}*16\" }}\n", i % 24))
        .collect();
    let Some(p) = compile(&src).program else {
        std::process::exit(1)
    };
    let mut engine = Engine::start(EngineConfig::default());
    let (sink, events, _) = CollectSink::new("count");
    engine.send(Command::AddSink(Box::new(sink)));
    patter_tests::play(&engine, p, Some(120.0));
    std::thread::sleep(Duration::from_secs_f64(seconds.min(10.0)));
    let m = engine.metrics();
    engine.shutdown();
    let received = events.lock().map(|e| e.len()).unwrap_or(0);
    println!(
        "1000 players x 16ths at 120 BPM for {} s",
        seconds.min(10.0)
    );
    println!(
        "{:<34} {} of {} events ({} received)",
        "late events (1000 players)", m.late_events, m.events, received
    );
    println!(
        "{:<34} n={:<6} p50={:>8} p99={:>8} max={:>8} µs",
        "query time per tick", m.query_us.count, m.query_us.p50, m.query_us.p99, m.query_us.max
    );
    let w = m.scheduler_wake_late_us;
    println!(
        "{:<34} n={:<6} p50={:>8} p99={:>8} max={:>8} µs",
        "scheduler wake-up lateness", w.count, w.p50, w.p99, w.max
    );
}
