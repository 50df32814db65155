//! `patter shm-dump NAME`: print the records of a shared-memory ring as they arrive, one
//! line each (a reader for checking what `--out shm:NAME` publishes).

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use patter_shm::{Kind, Reader, Record, ShmError};

use crate::args::Args;

const USAGE: &str = "usage: patter shm-dump NAME [--count N] [--wait SECONDS]
  prints each record of the shared-memory ring NAME (/dev/shm/NAME) as it arrives;
  ends after N records, when the writer has gone and the ring is empty, or on Ctrl-C.
  --wait SECONDS   how long to wait for the segment to appear (default: until Ctrl-C)";

pub fn run(argv: &[String]) -> ExitCode {
    let args = match Args::parse(argv, &["count", "wait"]) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    let [name] = args.positional.as_slice() else {
        return usage("give one segment NAME");
    };
    let count = match args.get("count").map(str::parse::<u64>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return usage("--count takes a whole number"),
    };
    let wait = match args.get("wait").map(str::parse::<f64>) {
        None => None,
        Some(Ok(s)) if s >= 0.0 && s.is_finite() && s < 1e9 => Some(Duration::from_secs_f64(s)),
        _ => return usage("--wait takes seconds (0 or more)"),
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));

    let start = Instant::now();
    let mut said_waiting = false;
    let mut reader = loop {
        match Reader::open(name) {
            Ok(r) => break r,
            // Not there yet, or being initialised: the writer may start after us.
            Err(e @ (ShmError::NotFound(_) | ShmError::Incompatible(_))) => {
                let expired = wait.is_some_and(|w| start.elapsed() >= w);
                if expired || interrupted.load(Ordering::SeqCst) {
                    eprintln!("patter shm-dump: {e}");
                    return ExitCode::FAILURE;
                }
                if !said_waiting {
                    eprintln!("patter shm-dump: waiting for segment `{name}`…");
                    said_waiting = true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                eprintln!("patter shm-dump: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let clock = reader.clock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut printed = 0u64;
    let mut overruns = reader.overruns();
    while count.is_none_or(|n| printed < n) && !interrupted.load(Ordering::SeqCst) {
        let Some(rec) = reader.try_read() else {
            let _ = out.flush();
            let now = reader.overruns();
            if now != overruns {
                eprintln!(
                    "patter shm-dump: the writer dropped {} records (ring full: reading too slowly)",
                    now - overruns
                );
                overruns = now;
            }
            if !reader.writer_alive() && reader.available() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
            continue;
        };
        let t = clock.to_engine_seconds(rec.time_ns);
        if writeln!(out, "{}", line(&rec, t)).is_err() {
            // The pipe closed (`| head`): nothing more to do.
            return ExitCode::SUCCESS;
        }
        printed += 1;
    }
    let _ = out.flush();
    if let Some(n) = count {
        if printed < n {
            eprintln!("patter shm-dump: the writer went away after {printed} of {n} records");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// One record as `key=value` pairs; `t` is the record's time in engine seconds.
fn line(rec: &Record, t: f64) -> String {
    let kind = match rec.kind() {
        Some(k) => k.name().to_string(),
        None => format!("?{}", rec.kind),
    };
    let mut s = format!(
        "seq={} t={t:.6} player={} kind={kind} chan={}",
        rec.seq, rec.player, rec.channel
    );
    match rec.kind() {
        Some(Kind::NoteOn | Kind::Trigger) => s.push_str(&format!(
            " note={} vel={} dur={:.6} value={}",
            rec.note,
            rec.velocity,
            f64::from(rec.duration_us) / 1e6,
            rec.value
        )),
        Some(Kind::NoteOff) => s.push_str(&format!(" note={}", rec.note)),
        Some(Kind::Control) => s.push_str(&format!(
            " cc={} vel={} value={}",
            rec.note, rec.velocity, rec.value
        )),
        Some(Kind::Program) => s.push_str(&format!(" program={}", rec.note)),
        Some(Kind::Bend) => s.push_str(&format!(" value={}", rec.value)),
        Some(Kind::AllOff) | None => {}
    }
    s.push_str(&format!(" beat={}", rec.beat));
    s
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter shm-dump: {msg}\n{USAGE}");
    ExitCode::from(2)
}
