//! `patter play --out shm:NAME` and `patter shm-dump NAME` as separate processes: every
//! event of a played file reaches the reader, in order, with the right notes and times.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use patter_shm::{ClockRef, Record, Writer};

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or("")
}

#[test]
fn shm_dump_prints_each_record_a_writer_publishes() {
    let name = format!("patter-cli-dump-{}", std::process::id());
    let mut w = Writer::create(&name, 64, ClockRef::now()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["shm-dump", &name, "--count", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for (kind, note) in [(1u8, 60u8), (2, 60), (4, 36)] {
        assert!(w.push(Record {
            time_ns: ClockRef::now().monotonic_ns,
            kind,
            note,
            velocity: 90,
            duration_us: 250_000,
            value: 0.5,
            ..Record::default()
        }));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let kinds: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| (field(l, "seq"), field(l, "kind"), field(l, "note")))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("0", "note-on", "60"),
            ("1", "note-off", "60"),
            ("2", "trigger", "36")
        ]
    );
    assert_eq!(field(lines[0], "dur"), "0.250000");
}

#[test]
fn played_events_reach_a_reader_process_in_order() {
    let dir = std::env::temp_dir().join(format!("patter-shm-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("beat.pat");
    // Two beats a second: 8 notes and 8 drum hits in the first 4 seconds.
    std::fs::File::create(&file)
        .unwrap()
        .write_all(b"tempo 120\nplay keys { midinote: seq([60, 62, 64, 65]), dur: 0.5, legato: 0.5 }\nplay drums { s: \"bd sn\" }\n")
        .unwrap();
    let name = format!("patter-cli-play-{}", std::process::id());
    let dump = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["shm-dump", &name, "--count", "24", "--wait", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let play = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "play",
            file.to_str().unwrap(),
            "--out",
            &format!("shm:{name}"),
            "--seconds",
            "3",
        ])
        .output()
        .unwrap();
    assert!(
        play.status.success(),
        "{}",
        String::from_utf8_lossy(&play.stderr)
    );
    let out = dump.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let seqs: Vec<u32> = lines
        .iter()
        .map(|l| field(l, "seq").parse().unwrap())
        .collect();
    assert_eq!(seqs, (0..24).collect::<Vec<u32>>(), "{stdout}");
    let notes: Vec<&str> = lines
        .iter()
        .filter(|l| field(l, "kind") == "note-on")
        .map(|l| field(l, "note"))
        .collect();
    assert_eq!(
        notes.get(..4),
        Some(&["60", "62", "64", "65"][..]),
        "{stdout}"
    );
    let drums: Vec<&str> = lines
        .iter()
        .filter(|l| field(l, "kind") == "trigger")
        .map(|l| field(l, "note"))
        .collect();
    assert_eq!(drums.get(..2), Some(&["36", "38"][..]), "{stdout}");
    // Each note-off comes a quarter beat (0.125 s at 120 BPM) after its note-on.
    let on: f64 = field(
        lines
            .iter()
            .find(|l| field(l, "kind") == "note-on")
            .unwrap(),
        "t",
    )
    .parse()
    .unwrap();
    let off: f64 = field(
        lines
            .iter()
            .find(|l| field(l, "kind") == "note-off")
            .unwrap(),
        "t",
    )
    .parse()
    .unwrap();
    assert!((off - on - 0.125).abs() < 1e-6, "on {on} off {off}");
    // Note-ons half a beat (0.25 s) apart, exactly, on the engine clock.
    let ons: Vec<f64> = lines
        .iter()
        .filter(|l| field(l, "kind") == "note-on")
        .map(|l| field(l, "t").parse().unwrap())
        .collect();
    for w in ons.windows(2) {
        assert!((w[1] - w[0] - 0.25).abs() < 1e-5, "{ons:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shm_dump_ends_when_the_writer_goes() {
    use std::io::BufRead;
    let name = format!("patter-cli-gone-{}", std::process::id());
    let mut w = Writer::create(&name, 64, ClockRef::now()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["shm-dump", &name, "--wait", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rec = Record {
        kind: 1,
        note: 60,
        ..Record::default()
    };
    assert!(w.push(rec));
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // The first line shows the reader has the segment mapped; then the writer leaves.
    let first = lines.next().unwrap().unwrap();
    assert_eq!(field(&first, "seq"), "0");
    assert!(w.push(rec));
    drop(w);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(field(&rest[0], "seq"), "1");
    assert!(child.wait().unwrap().success());
}

#[test]
fn play_refuses_a_segment_a_live_writer_holds() {
    let name = format!("patter-cli-busy-{}", std::process::id());
    let _w = Writer::create(&name, 64, ClockRef::now()).unwrap();
    let dir = std::env::temp_dir().join(format!("patter-shm-busy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("one.pat");
    std::fs::write(&file, "play a { midinote: 60 }\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "play",
            file.to_str().unwrap(),
            "--out",
            &format!("shm:{name}"),
            "--seconds",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("belongs to a running writer"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
