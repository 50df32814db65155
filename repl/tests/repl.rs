//! The REPL through the real binary: piped input (rustyline reads piped stdin line by line)
//! and a terminal session under tmux for what only a terminal shows (highlighting, the
//! continuation prompt, Ctrl-C keeping the music, Ctrl-D leaving, history). Waits poll the
//! screen or the files; nothing sleeps a fixed time.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    let out: Output = child.wait_with_output().unwrap();
    assert!(out.status.success());
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn piped_blocks_evaluate_errors_change_nothing_and_commands_answer() {
    let input = "\
let notes = \"0 2\"
play a { degree: notes }
play a { degree: nope }
:show events a
:players
:tempo 90
play b { degree: [0,
  4] }
:{
let q = 1
play q { degree: q }
:}
:players
:sinks
:show ast b
:show ir b
:stop b
:bogus
:help
";
    let (out, err) = piped(input);
    assert!(out.contains("a starts at beat"), "{out}");
    assert!(out.contains("nothing changed: 1 error"), "{out}");
    // The diagnostic points into the typed block, not into the session's history.
    assert!(err.contains("E0301") && err.contains("repl:1:18"), "{err}");
    // `a` still plays the accepted version.
    let shown: Vec<&str> = out.lines().filter(|l| l.contains("degree=")).collect();
    assert_eq!(shown.len(), 2, "{out}");
    assert!(shown[0].contains("degree=0") && shown[1].contains("degree=2"));
    assert!(out.contains("tempo 90 BPM"), "{out}");
    // The block continued over two lines.
    assert!(out.contains("b starts at beat"), "{out}");
    // `:{ … :}` is one block: its player starts with no separate reply for the `let`.
    assert!(
        out.lines()
            .any(|l| l.starts_with("q starts at beat") && l.contains("unchanged: a, b")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("b ") && l.contains("repl")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("null ")), "{out}");
    assert!(out.contains("Play {") && out.contains("body:"), "{out}");
    assert!(out.contains("b stop at beat"), "{out}");
    assert!(err.contains("unknown command `:bogus`"), "{err}");
    assert!(out.contains(":record") && out.contains(":watch"), "{out}");
}

#[test]
fn without_any_output_the_repl_still_runs_and_says_so_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "--out",
            "jsonl:/nonexistent-dir/x.jsonl",
            "--history",
            "none",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(b"play a { degree: 0 }\n:sinks\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no output could open"), "{stderr}");
    assert!(stdout.contains("a starts at beat"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("null ")), "{stdout}");
}

#[test]
fn piped_input_ending_inside_a_bracket_is_reported() {
    let (out, err) = piped("play a { degree: [0, 2\n");
    assert!(out.contains("the input ends in the middle"), "{out}");
    assert!(err.contains("Error"), "{err}");
}

#[test]
fn stop_and_hush_in_code_and_load() {
    let dir = std::env::temp_dir().join(format!("patter-repl-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("set.pat");
    std::fs::write(&file, "play x { degree: 0 }\nplay y { degree: 1 }\n").unwrap();
    let input = format!(
        ":load {}\nplay y {{ degree: 3 }}\nstop x\n:players\nhush\n:players\n",
        file.display()
    );
    let (out, err) = piped(&input);
    assert!(
        out.contains("x starts at beat") && out.contains("y starts"),
        "{out}"
    );
    assert!(out.contains("y changes at beat"), "{out}");
    assert!(out.contains("x stops at beat"), "{out}");
    assert!(
        !err.contains("W0103"),
        "stopping a file's player is no warning: {err}"
    );
    assert!(out.contains("no players"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tmux server of our own, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn start(name: &str, cmd: &str) -> Tmux {
        let socket = format!("patter-test-{name}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "160",
                "-y",
                "50",
            ])
            .arg(cmd)
            .status()
            .unwrap();
        assert!(ok.success());
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "t"])
            .args(keys)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    fn type_text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    fn screen(&self, escapes: bool) -> String {
        let mut args = vec![
            "-L",
            &self.socket,
            "capture-pane",
            "-p",
            "-t",
            "t",
            "-S",
            "-500",
        ];
        if escapes {
            args.push("-e");
        }
        let out = Command::new("tmux").args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, what: &str, escapes: bool, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen(escapes);
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("screen never showed {what}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session", "-t", "t"])
            .output()
            .is_ok_and(|o| o.status.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The last `events N` figure printed by `:stats`.
fn last_events(screen: &str) -> Option<u64> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix("events "))
        .filter_map(|r| r.split_whitespace().next()?.parse().ok())
        .next_back()
}

/// Ask `:stats` until the event count is above `above`.
fn events_above(t: &Tmux, above: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        t.type_text(":stats");
        t.keys(&["Enter"]);
        let s = t.wait_for("a stats line", false, |s| {
            s.lines().filter(|l| l.starts_with("events ")).count() > 0
        });
        if let Some(n) = last_events(&s) {
            if n > above {
                return n;
            }
        }
        assert!(Instant::now() < deadline, "events never passed {above}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("patter-repl-{name}-{}", std::process::id()))
}

#[test]
fn terminal_highlighting_continuation_ctrl_c_record_and_ctrl_d() {
    if !Tmux::available() {
        eprintln!("tmux is not installed (.ci/run installs it); skipping the terminal test");
        return;
    }
    let history = temp("history");
    let midi = temp("take.mid");
    let _ = std::fs::remove_file(&history);
    let _ = std::fs::remove_file(&midi);
    let cmd = format!(
        "{} --out null --tempo 480 --history {}",
        env!("CARGO_BIN_EXE_patter"),
        history.display()
    );
    let t = Tmux::start("terminal", &cmd);
    t.wait_for("the prompt", false, |s| s.contains("@480"));

    // Highlighting from the lexer: keyword, string, number.
    t.type_text("play a { degree: \"0 2\", legato: 0.5 }");
    let s = t.wait_for("highlighted input", true, |s| s.contains("0.5"));
    assert!(
        s.contains("\u{1b}[35mplay") || s.contains("\u{1b}[1;35mplay"),
        "{s:?}"
    );
    assert!(s.contains("\u{1b}[32m\"0 2\""), "{s:?}");
    assert!(s.contains("\u{1b}[36m0.5"), "{s:?}");
    t.keys(&["Enter"]);
    t.wait_for("the swap", false, |s| s.contains("a starts at beat"));

    // An open bracket asks for another line; Ctrl-C cancels the block.
    t.type_text("play b { degree: [0,");
    t.keys(&["Enter"]);
    t.wait_for("the continuation prompt", false, |s| {
        s.lines().any(|l| l.trim_end() == " ...")
    });
    t.keys(&["C-c"]);
    t.wait_for("the cancellation", false, |s| {
        s.contains("(input cancelled)")
    });

    // Ctrl-C at an empty prompt: the music goes on.
    t.type_text(":record ");
    t.type_text(&midi.display().to_string());
    t.keys(&["Enter"]);
    t.wait_for("recording", false, |s| s.contains("recording to"));
    let before = events_above(&t, 0);
    t.keys(&["C-c"]);
    t.wait_for("the reassurance", false, |s| {
        s.contains("the music goes on")
    });
    events_above(&t, before);
    t.type_text(":record stop");
    t.keys(&["Enter"]);
    t.wait_for("the file", false, |s| s.contains("stopped recording"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let smf = loop {
        if let Ok(bytes) = std::fs::read(&midi) {
            if let Ok(smf) = midly::Smf::parse(&bytes) {
                break smf.tracks.len();
            }
        }
        assert!(Instant::now() < deadline, "the recording was never written");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(smf >= 2, "a tempo track and a's track");

    // Ctrl-D leaves (releasing every note), and the history was kept.
    t.keys(&["C-d"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.alive() {
        assert!(Instant::now() < deadline, "Ctrl-D did not leave");
        std::thread::sleep(Duration::from_millis(20));
    }
    let h = std::fs::read_to_string(&history).unwrap();
    assert!(h.contains("play a { degree: \"0 2\", legato: 0.5 }"), "{h}");
    assert!(
        !h.contains("degree: [0,"),
        "a cancelled block is not history: {h}"
    );
    let _ = std::fs::remove_file(&history);
    let _ = std::fs::remove_file(&midi);
}

#[test]
fn watch_from_the_repl_reports_saves_while_the_prompt_waits() {
    if !Tmux::available() {
        eprintln!("tmux is not installed (.ci/run installs it); skipping the terminal test");
        return;
    }
    let file = temp("watched.pat");
    std::fs::write(&file, "play w { degree: 0 }\n").unwrap();
    let cmd = format!("{} --out null --history none", env!("CARGO_BIN_EXE_patter"));
    let t = Tmux::start("watch", &cmd);
    t.wait_for("the prompt", false, |s| s.contains("@120"));
    t.type_text(&format!(":watch {}", file.display()));
    t.keys(&["Enter"]);
    t.wait_for("the first evaluation", false, |s| {
        s.contains("w starts at beat")
    });
    std::fs::write(&file, "play w { degree: 5 }\n").unwrap();
    t.wait_for("the save's evaluation", false, |s| {
        s.contains("w changes at beat")
    });
    std::fs::write(&file, "play w { degree: oops }\n").unwrap();
    let s = t.wait_for("the save's error", false, |s| {
        s.contains("nothing changed: 1 error")
    });
    assert!(s.contains("E0301"), "{s}");
    t.type_text(":players");
    t.keys(&["Enter"]);
    t.wait_for("the player list", false, |s| {
        s.lines()
            .any(|l| l.starts_with("w ") && l.contains("watched.pat"))
    });
    t.type_text(&format!(":unwatch {}", file.display()));
    t.keys(&["Enter"]);
    t.wait_for("the unwatch", false, |s| s.contains("stopped 1 watch"));
    t.keys(&["C-d"]);
    let _ = std::fs::remove_file(&file);
}
