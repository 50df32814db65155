//! Live-use latencies of the real binary, as percentiles (a harness, not criterion: each
//! sample is a process or a file save).
//!
//! 1. Start-up: from spawning `patter` under a pseudo-terminal to the first prompt on it.
//! 2. Enter to swap: a 200-line program evaluated as a REPL block, one player edited each
//!    time; the session's own measure from receiving the text to the swap being sent to the
//!    scheduler (`eval_us`, printed after each accepted block).
//! 3. Save to swap: `patter play FILE --watch`, the same edits saved to the file; the
//!    evaluation alone, and from the last file-system event of the save to the reply (which
//!    includes the 50 ms debounce), and as the harness sees it (write to report).
//!
//! Run: `cargo bench -p patter --bench live` (release build).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_patter");

fn percentiles(name: &str, unit: &str, mut xs: Vec<f64>) {
    xs.sort_by(f64::total_cmp);
    let q = |p: f64| patter_tests::stats::percentile(&xs, p);
    println!(
        "{name:<44} n={:<4} p50 {:>8.2} {unit}  p90 {:>8.2} {unit}  p99 {:>8.2} {unit}  max {:>8.2} {unit}",
        xs.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        xs.last().copied().unwrap_or(f64::NAN)
    );
}

/// A pty pair: (master, slave).
fn openpty() -> (OwnedFd, OwnedFd) {
    let mut master = 0;
    let mut slave = 0;
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors into the integers it is given; the name
    // and termios pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both descriptors were just created and are owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Milliseconds from spawn to the prompt appearing on the terminal.
fn startup_once(args: &[&str]) -> f64 {
    let (master, slave) = openpty();
    let t0 = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let mut file = std::fs::File::from(master);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let took = loop {
        let n = file.read(&mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(buf.get(..n).unwrap());
        let text = String::from_utf8_lossy(&seen);
        if let Some(at) = text.find('@') {
            if text.get(at..).is_some_and(|t| t.contains('>')) {
                break t0.elapsed().as_secs_f64() * 1000.0;
            }
        }
    };
    // Ctrl-D leaves.
    file.write_all(b"\x04").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        // Drain so the child never blocks on a full terminal.
        let _ = file.read(&mut buf);
    }
    took
}

/// A 200-line piece: 25 players of 8 lines; `edit` changes the first player.
fn piece(edit: usize) -> String {
    let mut s = String::new();
    for k in 0..25 {
        let step = if k == 0 { edit % 7 } else { k % 7 };
        s.push_str(&format!(
            "// voice {k}\nplay p{k} {{\n  s: \"bd*2 [~ bd] sn:2 [hh hh hh]\".every(4, rev),\n  degree: seq([0, {step}, 3, 5]),\n  octave: 3,\n  dur: 0.5,\n  amp: perlin.range(0.1, 0.25),\n}}\n"
        ));
    }
    assert_eq!(s.lines().count(), 200);
    s
}

/// The number in the last `(… ms)` of a line.
fn ms_in(line: &str, before: &str) -> Option<f64> {
    let i = line.rfind(before)?;
    let head = line.get(..i)?;
    let start = head.rfind(|c: char| !(c.is_ascii_digit() || c == '.'))? + 1;
    head.get(start..)?.parse().ok()
}

fn repl_blocks(runs: usize) -> Vec<f64> {
    let mut child = Command::new(BIN)
        .args(["--out", "null", "--history", "none"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for i in 0..=runs {
        // One block of 200 lines (a piped line that is complete alone would end a block).
        input.push_str(":{\n");
        input.push_str(&piece(i));
        input.push_str(":}\n");
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut xs: Vec<f64> = text.lines().filter_map(|l| ms_in(l, " ms)")).collect();
    // The first evaluation starts every player; the rest each change one.
    xs.remove(0);
    xs
}

fn watch_saves(runs: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let dir = std::env::temp_dir().join(format!("patter-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("piece.pat");
    std::fs::write(&file, piece(0)).unwrap();
    let mut child = Command::new(BIN)
        .arg("play")
        .arg(&file)
        .args(["--watch", "--out", "null"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_report = || loop {
        let line = lines.next().expect("patter play ended").unwrap();
        if line.contains("evaluated in") {
            return line;
        }
    };
    next_report();
    let (mut eval, mut since_save, mut seen) = (Vec::new(), Vec::new(), Vec::new());
    for i in 1..=runs {
        let t0 = Instant::now();
        std::fs::write(&file, piece(i)).unwrap();
        let line = next_report();
        seen.push(t0.elapsed().as_secs_f64() * 1000.0);
        eval.push(ms_in(&line, " ms, ").unwrap());
        since_save.push(ms_in(&line, " ms after").unwrap());
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    (eval, since_save, seen)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this too, without it:
    // then a couple of samples each, to keep the harness working without slowing the tests.
    let full = std::env::args().any(|a| a == "--bench");
    let (runs, blocks, saves) = if full { (40, 100, 40) } else { (2, 2, 2) };
    percentiles(
        "start-up to prompt (--out null)",
        "ms",
        (0..runs)
            .map(|_| startup_once(&["--out", "null", "--history", "none"]))
            .collect(),
    );
    percentiles(
        "start-up to prompt (default output)",
        "ms",
        (0..runs)
            .map(|_| startup_once(&["--history", "none"]))
            .collect(),
    );
    percentiles(
        "enter to swap, 200-line REPL block",
        "ms",
        repl_blocks(blocks),
    );
    let (eval, since, seen) = watch_saves(saves);
    percentiles("save: evaluation to swap sent, 200 lines", "ms", eval);
    percentiles("save: last fs event to swap sent", "ms", since);
    percentiles("save: write() to report seen by a client", "ms", seen);
}
