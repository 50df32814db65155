//! `patter events/render --input FILE.jsonl` replays recorded MIDI input, through the real
//! binary; a broken recording is refused with the line that is wrong.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Output};

fn patter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(args)
        .output()
        .unwrap()
}

fn temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("patter-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_recording_replays_into_events_and_a_render() {
    let take = temp(
        "take.jsonl",
        "{\"beat\":\"1\",\"bytes\":[144,60,100]}\n\n{\"beat\":\"3/2\",\"bytes\":[176,74,127]}\n{\"beat\":\"2\",\"bytes\":[128,60,0]}\n",
    );
    let src = "play a { midinote: held(), amp: cc(74) / 2, dur: 1/2 }";
    let o = patter(&[
        "events",
        "-e",
        src,
        "--beats",
        "3",
        "--input",
        take.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let notes: Vec<&str> = out.lines().filter(|l| l.contains("midinote=60")).collect();
    // Held from beat 1 to 2: two half-beat events, the second at half volume.
    assert_eq!(notes.len(), 2, "{out}");
    assert!(
        notes[0].contains("amp=0 ") && notes[1].contains("amp=0.5 "),
        "{out}"
    );
    // Without the recording nothing is held.
    let o = patter(&["events", "-e", src, "--beats", "3"]);
    assert!(!String::from_utf8(o.stdout).unwrap().contains("midinote"));

    let pat = temp("a.pat", src);
    let mid = take.with_file_name("a.mid");
    let o = patter(&[
        "render",
        pat.to_str().unwrap(),
        "--beats",
        "3",
        "-o",
        mid.to_str().unwrap(),
        "--input",
        take.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::metadata(&mid).unwrap().len() > 20);
}

#[test]
fn a_broken_recording_names_its_line() {
    let bad = temp(
        "bad.jsonl",
        "{\"beat\":\"1\",\"bytes\":[144,60,100]}\n{\"beat\":\"1/0\",\"bytes\":[144,60,1]}\n",
    );
    let o = patter(&[
        "events",
        "-e",
        "play a { degree: 0 }",
        "--input",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("bad.jsonl:2:"), "{err}");
    let o = patter(&[
        "events",
        "-e",
        "play a { degree: 0 }",
        "--input",
        "/nonexistent/x.jsonl",
    ]);
    assert!(!o.status.success());
}
