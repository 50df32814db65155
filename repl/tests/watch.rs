//! Hot reload through the real binary: `patter play FILE --watch` with a `jsonl:` output
//! that records every scheduled event. Saves by rename (as vim does) and by in-place write
//! each swap the player in at the next bar, exactly where the engine says; a save with
//! errors keeps the last good version; an imported file is watched too. The test waits by
//! polling what the process writes, never by sleeping a fixed time.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

struct Playing {
    child: Child,
    stderr: Receiver<String>,
    seen: Vec<String>,
}

impl Playing {
    fn start(file: &Path, events: &Path) -> Playing {
        let mut child = Command::new(env!("CARGO_BIN_EXE_patter"))
            .arg("play")
            .arg(file)
            .arg("--watch")
            .arg("--out")
            .arg(format!("jsonl:{}", events.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Playing {
            child,
            stderr: rx,
            seen: Vec::new(),
        }
    }

    /// The first new stderr line (after those already matched) satisfying `pred`.
    fn wait_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no line {what}; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    fn interrupt(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("patter play did not stop on SIGINT");
    }
}

/// `(beat, degree)` of every event written so far.
fn events(path: &Path) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let beat = v["beat"].as_str()?;
            let beat = match beat.split_once('/') {
                Some((n, d)) => n.parse::<f64>().ok()? / d.parse::<f64>().ok()?,
                None => beat.parse().ok()?,
            };
            Some((beat, v["degree"].as_f64()?))
        })
        .collect()
}

/// Poll the recording until an event at or after `beat` exists.
fn wait_events_past(path: &Path, beat: f64) -> Vec<(f64, f64)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ev = events(path);
        if ev.iter().any(|(b, _)| *b >= beat) {
            return ev;
        }
        assert!(
            Instant::now() < deadline,
            "no events past beat {beat}: {ev:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn beat_after(line: &str, marker: &str) -> f64 {
    let rest = line.split(marker).nth(1).unwrap();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '/' || *c == '.')
        .collect();
    match word.split_once('/') {
        Some((n, d)) => n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap(),
        None => word.parse().unwrap(),
    }
}

/// The file was replaced with degree `new`: the engine's swap beat is a bar line, the
/// session announced it, no event before it is `new` and every one from it is.
fn check_swap(p: &mut Playing, events_file: &Path, new: f64) {
    let announced = p.wait_line("announcing the change", |l| l.contains("a changes at beat"));
    let announced = beat_after(&announced, "a changes at beat ");
    let swapped = p.wait_line("from the engine's swap", |l| {
        l.contains("a swapped in at beat")
    });
    let swapped = beat_after(&swapped, "at beat ");
    assert_eq!(swapped % 4.0, 0.0, "swaps land on bar lines");
    // The announcement is predicted from the transport; a save landing within a tick of a
    // bar line may be taken at the following bar.
    assert!(
        swapped == announced || swapped == announced + 4.0,
        "announced {announced}, swapped at {swapped}"
    );
    let ev = wait_events_past(events_file, swapped + 4.0);
    let first_new = ev.iter().find(|(_, d)| *d == new).unwrap().0;
    assert_eq!(first_new, swapped, "{ev:?}");
    for (b, d) in &ev {
        if *b < swapped {
            assert_ne!(*d, new, "new events before the swap: {ev:?}");
        } else {
            assert_eq!(*d, new, "old events after the swap: {ev:?}");
        }
    }
}

fn program(degree: u32) -> String {
    format!("tempo 240\nplay a {{ degree: \"{degree} {degree} {degree} {degree}\" }}\n")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patter-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn rename_and_in_place_saves_swap_at_the_next_bar_and_errors_keep_the_music() {
    let dir = temp_dir("saves");
    let file = dir.join("live.pat");
    let out = dir.join("events.jsonl");
    std::fs::write(&file, program(0)).unwrap();
    let mut p = Playing::start(&file, &out);
    p.wait_line("for the first evaluation", |l| {
        l.contains("a starts at beat")
    });
    // The engine's report of that start may come after a quick next save's announcement.
    p.wait_line("for the first swap", |l| l.contains("a swapped in at beat"));
    wait_events_past(&out, 4.0);

    // vim-style save: write a new file and rename it over the old one.
    let tmp = dir.join(".live.pat.swp");
    std::fs::write(&tmp, program(7)).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    check_swap(&mut p, &out, 7.0);

    // In-place save: truncate and write the same file.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&file)
        .unwrap();
    f.write_all(program(3).as_bytes()).unwrap();
    drop(f);
    check_swap(&mut p, &out, 3.0);

    // A save with an error: diagnostics, nothing changes, the music goes on.
    std::fs::write(&file, "tempo 240\nplay a { degree: nope }\n").unwrap();
    p.wait_line("reporting the error", |l| {
        l.contains("nothing changed: 1 error")
    });
    assert!(p.seen.iter().any(|l| l.contains("E0301")), "{:?}", p.seen);
    let last = events(&out).last().unwrap().0;
    let ev = wait_events_past(&out, last + 8.0);
    assert!(ev.iter().filter(|(b, _)| *b > last).all(|(_, d)| *d == 3.0));
    p.interrupt();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imported_files_are_watched_too() {
    let dir = temp_dir("imports");
    let file = dir.join("main.pat");
    let lib = dir.join("notes.pat");
    let out = dir.join("events.jsonl");
    std::fs::write(&lib, "let d = \"0 0 0 0\"\n").unwrap();
    std::fs::write(
        &file,
        "import \"notes.pat\"\ntempo 240\nplay a { degree: d }\n",
    )
    .unwrap();
    let mut p = Playing::start(&file, &out);
    p.wait_line("for the first evaluation", |l| {
        l.contains("a starts at beat")
    });
    // The engine's report of that start may come after a quick next save's announcement.
    p.wait_line("for the first swap", |l| l.contains("a swapped in at beat"));
    std::fs::write(&lib, "let d = \"5 5 5 5\"\n").unwrap();
    check_swap(&mut p, &out, 5.0);
    p.interrupt();
    let _ = std::fs::remove_dir_all(&dir);
}
