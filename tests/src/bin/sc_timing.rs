//! Timing harness (not a test): plays a steady pattern through the SuperCollider sink on
//! scsynth and on supernova, each booted on a JACK dummy server this harness starts, records
//! the server's audio output with its own JACK client, and prints the inter-onset jitter of
//! the sounding notes and their drift from the ideal grid, in frames.
//!
//! `cargo run --release -p patter-tests --bin sc_timing [-- SECONDS]`

use patter_tests::stats::report;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use patter_runtime::{Command, Engine, EngineConfig};
use patter_sc::server::{BootOptions, ServerKind};
use patter_sc::{ScConfig, ScSink};
use patter_tests::compile;
use patter_tests::jackd::JackServer;

/// Silent frames before a sound that make it a new onset.
const GAP: u32 = 1000;

struct Recorder {
    input: jack::Port<jack::AudioIn>,
    silent: u32,
    seen: Arc<ArrayQueue<u64>>,
}

impl jack::ProcessHandler for Recorder {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let base = ps.last_frame_time() as u64;
        for (i, x) in self.input.as_slice(ps).iter().enumerate() {
            if *x == 0.0 {
                self.silent = self.silent.saturating_add(1);
            } else {
                if self.silent >= GAP {
                    let _ = self.seen.push(base + i as u64);
                }
                self.silent = 0;
            }
        }
        jack::Control::Continue
    }
}

fn run(kind: ServerKind, seconds: f64, port: u16) -> Result<(), String> {
    let rate = 48_000u32;
    let jack_server = JackServer::start(kind.program(), rate, 256)
        .ok_or("jackd did not start (apt-get install jackd2)")?;
    // Single-threaded here: the engine of the previous run has stopped.
    std::env::set_var("JACK_DEFAULT_SERVER", &jack_server.name);
    std::env::set_var("JACK_NO_START_SERVER", "1");
    let (client, _) = jack::Client::new("recorder", jack::ClientOptions::NO_START_SERVER)
        .map_err(|e| format!("recorder client: {e}"))?;
    let input = client
        .register_port("in", jack::AudioIn::default())
        .map_err(|e| format!("recorder port: {e}"))?;
    let seen = Arc::new(ArrayQueue::new(100_000));
    let rec = client
        .activate_async(
            (),
            Recorder {
                input,
                silent: GAP,
                seen: seen.clone(),
            },
        )
        .map_err(|e| format!("recorder: {e}"))?;

    let mut opts = BootOptions::new(kind, port);
    opts.env = vec![
        ("JACK_DEFAULT_SERVER".into(), jack_server.name.clone()),
        ("JACK_NO_START_SERVER".into(), "1".into()),
        // The left output goes to the recorder; notes are panned hard left.
        ("SC_JACK_DEFAULT_OUTPUTS".into(), "recorder:in".into()),
    ];
    let mut engine = Engine::start(EngineConfig::default());
    let sink = ScSink::start(ScConfig::boot(opts), engine.origin())?;
    let handle = sink.handle();
    let log = sink.server_log();
    engine.send(Command::AddSink(Box::new(sink)));
    // Sixteenth notes at 120 BPM: 0.125 s = 6000 frames apart; each rings 12.5 ms.
    let program = compile(
        "tempo 120\nplay steady { instrument: \"ping\", freq: 1000, amp: 0.5, pan: -1, \
         dur: 0.25, legato: 0.2 }",
    )
    .program
    .ok_or("the pattern does not compile")?;
    patter_tests::play(&engine, program, Some(120.0));
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let metrics = engine.metrics();
    let status = handle.status();
    engine.shutdown();
    let _ = rec.deactivate();

    let mut frames = Vec::new();
    while let Some(f) = seen.pop() {
        frames.push(f);
    }
    frames.sort_unstable();
    let period = 6000.0;
    println!(
        "{} via ScSink, JACK dummy {rate} Hz / 256 frames, 16ths at 120 BPM for {seconds} s",
        kind.program()
    );
    let jitter: Vec<f64> = frames
        .windows(2)
        .map(|w| ((w[1] - w[0]) as f64 - period).abs())
        .collect();
    report("inter-onset jitter", "frames", jitter);
    if let Some(&first) = frames.first() {
        let errors: Vec<f64> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (*f as f64 - (first as f64 + i as f64 * period)).abs())
            .collect();
        report("onset drift from the ideal grid", "frames", errors);
    }
    for s in &metrics.sinks {
        println!(
            "{:<38} sent={} late={} dropped={} errors={}",
            s.name, s.sent, s.late, s.dropped, s.errors
        );
    }
    println!(
        "{:<38} {} started, {} ended, {} /fail; server late lines: {}; CPU avg {:.1}% peak {:.1}%",
        "server",
        handle.n_go(),
        handle.n_end(),
        handle.fails(),
        log.map(|l| l.late()).unwrap_or(0),
        status.avg_cpu,
        status.peak_cpu
    );
    Ok(())
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    for (kind, port) in [
        (ServerKind::Scsynth, 57_610),
        (ServerKind::Supernova, 57_611),
    ] {
        if let Err(e) = run(kind, seconds, port) {
            eprintln!("sc_timing: {}: {e}", kind.program());
            std::process::exit(1);
        }
    }
}
