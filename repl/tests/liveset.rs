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

/// `patter serve --osc-in 0`, killed when dropped, with its stderr in a file.
struct Serve {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(self.log.parent().unwrap());
    }
}

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn osc_input_launches_scenes_and_sets_keys_in_the_service() {
    use rosc::{OscMessage, OscPacket, OscType};
    use std::io::{BufRead, BufReader};

    let dir = std::env::temp_dir().join(format!("patter-liveset-osc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--out",
            "null",
            "--osc-in",
            "0",
        ])
        .arg("--state")
        .arg(dir.join("session.json"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let serve = Serve { child, log };
    let tcp = lines.next().unwrap().unwrap();
    let tcp = tcp.strip_prefix("listening tcp ").unwrap().to_string();
    let osc = lines.next().unwrap().unwrap();
    let osc = osc.strip_prefix("listening osc ").unwrap().to_string();

    let stream = std::net::TcpStream::connect(&tcp).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut call = |v: serde_json::Value| -> serde_json::Value {
        writeln!(writer, "{v}").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    };
    let source = "play a { degree: 0 }\nscene verse { play b { degree: 1, amp: 0.1 } }";
    let r = call(serde_json::json!({"cmd": "eval", "doc": "set.pat", "source": source}));
    assert_eq!(r["ok"], true, "{r}");

    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = |addr: &str, args: Vec<OscType>| {
        let bytes = rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        }))
        .unwrap();
        udp.send_to(&bytes, &osc).unwrap();
    };
    send("/patter/launch", vec!["verse".into()]);
    send(
        "/patter/set",
        vec!["b".into(), "amp".into(), OscType::Float(0.5)],
    );
    send("/patter/launch", vec![OscType::Int(1)]);
    eventually("b launched from its scene, a stopped", || {
        let r = call(serde_json::json!({"cmd": "players"}));
        let players: Vec<(String, String)> = r["players"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["doc"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        players == [("b".to_string(), "scene verse".to_string())]
    });
    eventually("b's amp set", || {
        let r = call(serde_json::json!({"cmd": "show", "what": "events", "player": "b"}));
        r["text"].as_str().is_some_and(|t| t.contains("amp=0.5"))
    });
    eventually("the bad message reported", || {
        std::fs::read_to_string(&serve.log)
            .unwrap_or_default()
            .contains("patter: OSC: /patter/launch takes a scene name")
    });
}
