//! The ring between two processes: a Rust reader process (this test binary run again as a
//! child) and a C program compiled against `runtime/include/patter_shm.h` each receive every
//! record in order and untorn, and an overrun is counted where the reader can see it.
//!
//! Every record the writer makes is a function of its position ([`pattern`]), so the reader
//! checks each one completely: a torn, repeated, lost or reordered record fails.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use patter_shm::{ClockRef, Reader, Record, Writer};

const CHILD_ENV: &str = "PATTER_SHM_TEST_CHILD";

/// The record for stream position `pos` (the C reader checks the same formula).
fn pattern(pos: u64) -> Record {
    Record {
        time_ns: pos * 1000 + 7,
        seq: 0,
        player: (pos % 65521) as u16,
        kind: (1 + pos % 7) as u8,
        channel: 0,
        note: (pos % 128) as u8,
        velocity: ((pos * 7) % 128) as u8,
        flags: 0,
        duration_us: (pos ^ 0x5a5a_5a5a) as u32,
        value: (pos % 1000) as f32 * 0.5,
        beat: 0.0,
    }
}

fn matches(rec: &Record, pos: u64) -> bool {
    let want = Record {
        seq: pos as u32,
        ..pattern(pos)
    };
    *rec == want
}

/// Write `count` records, waiting (yielding) whenever the reader is behind.
fn write_all(w: &mut Writer, count: u64, child: &mut std::process::Child) {
    for pos in 0..count {
        let mut rec = pattern(pos);
        loop {
            match w.try_push(rec) {
                Ok(()) => break,
                Err(back) => {
                    rec = back;
                    let status = child.try_wait().unwrap();
                    assert!(
                        status.is_none(),
                        "reader exited early ({status:?}) at record {pos}"
                    );
                    std::thread::yield_now();
                }
            }
        }
    }
}

fn unique(tag: &str) -> String {
    format!("patter-xproc-{tag}-{}", std::process::id())
}

/// Runs only as the child process: reads the records and reports.
#[test]
#[ignore = "runs as the reader child of rust_reader_process_gets_every_record_in_order"]
fn child_reader() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (name, count) = spec.split_once(' ').unwrap();
    let count: u64 = count.parse().unwrap();
    let mut r = Reader::open(name).unwrap();
    let start = r.position();
    let mut got = 0u64;
    let mut idle = std::time::Instant::now();
    while got < count {
        match r.try_read() {
            Some(rec) => {
                assert!(
                    matches(&rec, start + got),
                    "record {} is {rec:?}",
                    start + got
                );
                got += 1;
                idle = std::time::Instant::now();
            }
            None => {
                // A guard against hanging, not a timing assertion.
                assert!(idle.elapsed().as_secs() < 20, "no record for 20 s at {got}");
                std::thread::yield_now();
            }
        }
    }
    println!("CHILD-OK {got} overruns={}", r.overruns());
}

#[test]
fn rust_reader_process_gets_every_record_in_order() {
    let name = unique("rust");
    let count = 300_000u64;
    // A small ring, so the writer laps it hundreds of times while the reader keeps up.
    let mut w = Writer::create(&name, 1024, ClockRef::now()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_reader", "--ignored", "--nocapture"])
        .env(CHILD_ENV, format!("{name} {count}"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    write_all(&mut w, count, &mut child);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "reader failed: {stdout}");
    assert!(
        stdout.contains(&format!("CHILD-OK {count} overruns=0")),
        "{stdout}"
    );
    assert_eq!(w.overruns(), 0);
}

/// The C reader built with `cc`, or None (with a message) when there is no C compiler.
fn build_c_reader(tag: &str) -> Option<PathBuf> {
    if Command::new("cc").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: no `cc` on this machine (install build-essential) — C reader not tested"
        );
        return None;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe =
        std::env::temp_dir().join(format!("patter-shm-c-reader-{tag}-{}", std::process::id()));
    let out = Command::new("cc")
        .args([
            "-std=c11",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-I",
        ])
        .arg(root.join("../include"))
        .arg(root.join("tests/c/reader.c"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the C reader does not compile against patter_shm.h:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(exe)
}

#[test]
fn c_reader_gets_every_record_in_order() {
    let Some(exe) = build_c_reader("order") else {
        return;
    };
    let name = unique("c");
    let count = 300_000u64;
    let mut w = Writer::create(&name, 1024, ClockRef::now()).unwrap();
    let mut child = Command::new(&exe)
        .args([name.as_str(), &count.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write_all(&mut w, count, &mut child);
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&exe);
    assert!(
        out.status.success(),
        "C reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("ok {count} overruns=0")
    );
}

#[test]
fn an_overrun_is_counted_and_the_c_reader_sees_the_count() {
    let Some(exe) = build_c_reader("overrun") else {
        return;
    };
    let name = unique("overrun");
    let mut w = Writer::create(&name, 1024, ClockRef::now()).unwrap();
    // No reader yet: the first 1024 fit, the next 476 are dropped and counted.
    let published = (0..1500u64).filter(|&pos| w.push(pattern(pos))).count();
    assert_eq!(published, 1024);
    assert_eq!(w.overruns(), 476);
    let out = Command::new(&exe)
        .args([name.as_str(), "1024"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&exe);
    assert!(
        out.status.success(),
        "C reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok 1024 overruns=476"
    );
    // The dropped ones were the newest: the stream continues at position 1024.
    assert!(w.push(pattern(1024)));
    let mut r = Reader::open(&name).unwrap();
    assert!(matches(&r.try_read().unwrap(), 1024));
}

#[test]
fn the_header_compiles_as_cpp() {
    if Command::new("c++").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no `c++` on this machine — the header's C++ path not tested");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("c++")
        .args([
            "-std=c++17",
            "-fsyntax-only",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-x",
            "c++",
            "-I",
        ])
        .arg(root.join("../include"))
        .arg(root.join("tests/c/reader.c"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
