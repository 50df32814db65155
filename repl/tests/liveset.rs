//! Live control from the REPL through the real binary (piped input): launching scenes.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn piped(input: &str) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["--out", "null", "--history", "none"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn scenes_launch_from_the_repl_and_stay_launched() {
    let input = "\
:{
play a { degree: 0 }
scene verse { play b { degree: 1 } }
scene chorus keep { play c { degree: 2 } }
:}
:scenes
:scene bridge
:scene
:scene verse
:players
let x = 1
:players
:scene chorus
:scenes
:players
";
    let (out, err) = piped(input);
    let lines: Vec<&str> = out.lines().collect();
    let scene_lines: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("verse ") || l.starts_with("chorus "))
        .collect();
    // Listed before any launch (not live), then after both (both live, chorus keeps).
    assert_eq!(scene_lines.len(), 4, "{out}");
    assert!(!scene_lines[0].contains("live") && scene_lines[0].contains(" b"));
    assert!(scene_lines[1].ends_with("keep") && !scene_lines[1].contains("live"));
    assert!(scene_lines[2].contains("live") && scene_lines[3].contains("keep live"));
    assert!(
        err.contains("no scene called `bridge` (the scenes are: verse, chorus)"),
        "{err}"
    );
    assert!(err.contains("usage: :scene NAME"), "{err}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("scene verse at beat") && l.contains("b start; a stop")),
        "{out}"
    );
    // `:players` after the launch, after an unrelated block, and after `keep`.
    let players: Vec<&str> = lines
        .iter()
        .filter(|l| l.split_whitespace().nth(1) == Some("scene"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(players, ["b", "b", "b", "c"], "{out}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("a ") && l.contains(" repl")),
        "{out}"
    );
}

#[test]
fn set_from_the_repl_changes_one_key() {
    let input = "\
play a { degree: 0, amp: 0.1 }
:set a amp \"0.2 0.5\"
:show events a
:set a
:set nobody amp 1
";
    let (out, err) = piped(input);
    assert!(
        out.lines()
            .any(|l| l.starts_with("a amp: \"0.2 0.5\" from beat")),
        "{out}"
    );
    let amps: Vec<&str> = out
        .split_whitespace()
        .filter(|w| w.starts_with("amp="))
        .collect();
    assert_eq!(amps, ["amp=0.2", "amp=0.5"], "{out}");
    assert!(err.contains("usage: :set PLAYER KEY VALUE"), "{err}");
    assert!(err.contains("no player called `nobody`"), "{err}");
}
