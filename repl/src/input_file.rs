//! Recorded MIDI input: `patter play --record-input FILE.jsonl` writes every input message
//! with the beat it took effect at, and `patter render`/`patter events --input FILE.jsonl`
//! replay it, so a performance with knobs and keys renders to the events it played.
//!
//! One JSON object per line: `{"beat":"3/2","bytes":[176,74,127]}` — the beat exact, as
//! `numerator/denominator`, and the message's status and data bytes (1 to 3).

use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use patter_pattern::control::{ControlLog, Stamped};
use patter_pattern::Time;
use patter_runtime::Engine;

/// The value of `--NAME` in `argv` (`--NAME VALUE` or `--NAME=VALUE`), if given.
pub fn option<'a>(argv: &'a [String], name: &str) -> Option<&'a str> {
    let flag = format!("--{name}");
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if *a == flag {
            return it.next().map(String::as_str);
        }
        if let Some(v) = a.strip_prefix(&flag).and_then(|r| r.strip_prefix('=')) {
            return Some(v);
        }
    }
    None
}

/// One line of a recording (without the newline).
pub fn line(m: &Stamped) -> String {
    let n = match m.bytes[0] & 0xF0 {
        0xC0 | 0xD0 => 2,
        _ => 3,
    };
    let bytes: Vec<String> = m.bytes.iter().take(n).map(u8::to_string).collect();
    format!(
        "{{\"beat\":\"{}\",\"bytes\":[{}]}}",
        m.at.ratio_string(),
        bytes.join(",")
    )
}

/// Read one line of a recording.
pub fn parse_line(text: &str) -> Result<Stamped, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))?;
    let beat = v
        .get("beat")
        .and_then(|b| b.as_str())
        .ok_or("no \"beat\" (a string such as \"3/2\")")?;
    let at = parse_beat(beat).ok_or_else(|| format!("`{beat}` is not a beat such as \"3/2\""))?;
    let raw = v
        .get("bytes")
        .and_then(|b| b.as_array())
        .ok_or("no \"bytes\" (a list such as [176, 74, 127])")?;
    let mut bytes = [0u8; 3];
    if raw.is_empty() || raw.len() > 3 {
        return Err("\"bytes\" holds 1 to 3 numbers".into());
    }
    for (slot, b) in bytes.iter_mut().zip(raw) {
        *slot = b
            .as_u64()
            .filter(|x| *x < 256)
            .ok_or("\"bytes\" are numbers from 0 to 255")? as u8;
    }
    if !(0x80..0xF0).contains(&bytes[0]) {
        return Err("the first byte is not a channel message's status (128 to 239)".into());
    }
    Ok(Stamped { at, bytes })
}

/// A non-negative beat written `n/d` or `n`.
fn parse_beat(s: &str) -> Option<Time> {
    let (n, d) = match s.split_once('/') {
        Some((n, d)) => (n.trim().parse::<i64>().ok()?, d.trim().parse::<i64>().ok()?),
        None => (s.trim().parse::<i64>().ok()?, 1),
    };
    if d <= 0 || n < 0 {
        return None;
    }
    Some(Time::new(n, d))
}

/// Read a recording (blank lines are skipped); errors name the line.
pub fn load(path: &str) -> Result<ControlLog, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut msgs = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        msgs.push(parse_line(l).map_err(|e| format!("{path}:{}: {e}", i + 1))?);
    }
    Ok(ControlLog::from_messages(msgs))
}

/// Run `f` with the recording named by `--input` in `argv` as the input of its queries.
pub fn with_recording<R>(argv: &[String], f: impl FnOnce() -> R) -> Result<R, String> {
    match option(argv, "input") {
        None => Ok(f()),
        Some(path) => {
            let log = Arc::new(load(path)?);
            Ok(patter_pattern::control::with_input(&log, f))
        }
    }
}

/// A thread writing an engine's input to a file as it is played.
pub struct Recorder {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<u64, String>>>,
}

impl Recorder {
    /// Start recording `engine`'s input into `path` (created or truncated).
    pub fn start(engine: &Engine, path: &str) -> Result<Recorder, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?;
        let rx = engine.record_input();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let path = path.to_string();
        let thread = std::thread::Builder::new()
            .name("patter-record-input".into())
            .spawn(move || {
                let mut out = BufWriter::new(file);
                let mut n = 0u64;
                let write = |out: &mut BufWriter<std::fs::File>, m: &Stamped| {
                    writeln!(out, "{}", line(m)).map_err(|e| format!("cannot write {path}: {e}"))
                };
                loop {
                    match rx.recv_timeout(Duration::from_millis(50)) {
                        Ok(m) => {
                            write(&mut out, &m)?;
                            n += 1;
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                            if flag.load(Ordering::Acquire) {
                                break;
                            }
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
                while let Ok(m) = rx.try_recv() {
                    write(&mut out, &m)?;
                    n += 1;
                }
                out.flush()
                    .map_err(|e| format!("cannot write {path}: {e}"))?;
                Ok(n)
            })
            .map_err(|e| format!("cannot start the input recorder: {e}"))?;
        Ok(Recorder {
            done,
            thread: Some(thread),
        })
    }

    /// Write what is left and close the file (call after the engine has stopped): the
    /// number of messages written.
    pub fn finish(mut self) -> Result<u64, String> {
        self.done.store(true, Ordering::Release);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err("the input recorder failed".into()),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lines_round_trip_and_bad_lines_are_refused() {
        let m = Stamped {
            at: Time::new(7, 3),
            bytes: [0xB0, 74, 127],
        };
        assert_eq!(line(&m), r#"{"beat":"7/3","bytes":[176,74,127]}"#);
        assert_eq!(parse_line(&line(&m)).unwrap(), m);
        let pc = Stamped {
            at: Time::int(2),
            bytes: [0xC1, 5, 0],
        };
        assert_eq!(parse_line(&line(&pc)).unwrap(), pc);
        for bad in [
            "",
            "{}",
            r#"{"beat":"1/0","bytes":[144,60,1]}"#,
            r#"{"beat":"-1","bytes":[144,60,1]}"#,
            r#"{"beat":"1","bytes":[]}"#,
            r#"{"beat":"1","bytes":[248]}"#,
            r#"{"beat":"1","bytes":[144,300,1]}"#,
            r#"{"beat":"1","bytes":[144,60,1,2]}"#,
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
        assert_eq!(
            option(&["x".into(), "--input".into(), "f".into()], "input"),
            Some("f")
        );
        assert_eq!(option(&["--input=g".into()], "input"), Some("g"));
    }
}
