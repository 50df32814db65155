//! MIDI input through the real binary and a JACK dummy server: `patter --midi-in
//! jack:PATTERN` connects a controller (a test JACK client), `:learn` binds the knob that
//! moves, a player follows it, `:midi` and `:stats` count the messages. Waits poll the
//! output; nothing sleeps a fixed time to wait for a result.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use patter_tests::jackd::JackServer;

/// Messages for the controller to send in its next cycle.
type Outbox = std::sync::mpsc::Sender<[u8; 3]>;

struct Controller {
    out: jack::Port<jack::MidiOut>,
    inbox: std::sync::mpsc::Receiver<[u8; 3]>,
}

impl jack::ProcessHandler for Controller {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let mut w = self.out.writer(ps);
        while let Ok(bytes) = self.inbox.try_recv() {
            let _ = w.write(&jack::RawMidi {
                time: 0,
                bytes: &bytes,
            });
        }
        jack::Control::Continue
    }
}

/// A JACK client `name` with a MIDI output `out`, like a USB controller seen through JACK.
fn controller(server: &str, name: &str) -> (jack::AsyncClient<(), Controller>, Outbox) {
    // SAFETY: only this test's threads run; the variable is read by the JACK library here.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", server) };
    let (client, _) = jack::Client::new(name, jack::ClientOptions::NO_START_SERVER).unwrap();
    let out = client
        .register_port("out", jack::MidiOut::default())
        .unwrap();
    let (outbox, inbox) = std::sync::mpsc::channel();
    let active = client
        .activate_async((), Controller { out, inbox })
        .unwrap();
    (active, outbox)
}

/// The REPL with its output collected as it comes.
struct Repl {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

fn collect(r: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let text: Arc<Mutex<String>> = Arc::default();
    let t = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            let mut t = t.lock().unwrap();
            t.push_str(&line);
            t.push('\n');
        }
    });
    text
}

impl Repl {
    fn start(server: &str, args: &[&str]) -> Repl {
        let mut child = Command::new(env!("CARGO_BIN_EXE_patter"))
            .args(["--history", "none"])
            .args(args)
            .env("JACK_DEFAULT_SERVER", server)
            .env("JACK_NO_START_SERVER", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Repl {
            child,
            stdin,
            out,
            err,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Wait until stdout (or stderr) contains `text`, doing `poke` between looks.
    fn wait_for(&self, text: &str, mut poke: impl FnMut()) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.out.lock().unwrap().contains(text) || self.err.lock().unwrap().contains(text) {
                return;
            }
            poke();
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!(
            "never saw `{text}`\nstdout:\n{}\nstderr:\n{}",
            self.out.lock().unwrap(),
            self.err.lock().unwrap()
        );
    }

    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn quit(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "{}", self.err.lock().unwrap());
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the REPL did not leave at the end of its input");
    }
}

#[test]
fn learn_binds_the_knob_that_moves_and_midi_lists_the_input() {
    let Some(server) = JackServer::start_realtime("repl-midiin", 48000, 256) else {
        panic!("jackd is required for this test: apt-get install jackd2 (CI installs it)");
    };
    let dir = std::env::temp_dir().join(format!("patter-learn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jsonl = dir.join("events.jsonl");
    let out_spec = format!("jsonl:{}", jsonl.display());
    let mut repl = Repl::start(
        &server.name,
        &["--out", &out_spec, "--midi-in", "jack:knobs"],
    );
    repl.wait_for("MIDI input on JACK port patter:midi_in", || {});
    let (ctl, outbox) = controller(&server.name, "knobs");
    repl.wait_for("MIDI input 'knobs:out' connected to patter:midi_in", || {});

    repl.send(":learn cutoff 20");
    repl.wait_for("move a control…", || {});
    // Channel 3 (0xB2), controller 74, turned until the REPL has bound it (the first few
    // cycles of a new connection may pass before JACK routes it).
    let mut v = 0u8;
    repl.wait_for("let cutoff = cc(74, channel: 3)", || {
        v = (v + 1) % 128;
        let _ = outbox.send([0xB2, 74, v]);
    });
    assert!(
        !repl.err.lock().unwrap().contains("did not evaluate"),
        "{}",
        repl.err.lock().unwrap()
    );
    // A player follows the learned knob: turned all the way up, its amp reaches 1.
    repl.send("play a { amp: cutoff, dur: 1/4 }");
    repl.wait_for("a starts at beat", || {});
    let full = || {
        std::fs::read_to_string(&jsonl)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|v| v["player"] == "a" && v["amp"].as_f64() == Some(1.0))
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !full() {
        assert!(
            Instant::now() < deadline,
            "the player never followed the knob"
        );
        let _ = outbox.send([0xB2, 74, 127]);
        std::thread::sleep(Duration::from_millis(50));
    }
    repl.send(":midi");
    repl.wait_for("← knobs:out", || {});
    repl.send(":stats");
    repl.wait_for("MIDI input", || {});
    let out = repl.out();
    let listed = out
        .lines()
        .find(|l| l.starts_with("jack:knobs"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        listed.contains("patter:midi_in") && listed.contains("open"),
        "{listed}"
    );
    assert!(!listed.contains("messages 0 "), "{listed}");
    assert!(out.contains("last control: cc 74 on channel 3"), "{out}");

    // Learning again with nothing moving times out and binds nothing.
    repl.send(":learn other 0.3");
    repl.wait_for("(no control moved; nothing was bound)", || {});

    // The controller is unplugged: the REPL says so, and `:midi` shows it lost.
    let _ = ctl.deactivate();
    repl.wait_for("MIDI input 'knobs:out' lost — will reconnect", || {});
    repl.send(":midi");
    repl.wait_for("lost (knobs:out), will reconnect", || {});

    repl.quit();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_system_midi_port_without_alsa_is_refused_clearly() {
    if std::path::Path::new("/dev/snd/seq").exists() {
        return; // a machine with MIDI ports: nothing to check here
    }
    let dir = std::env::temp_dir().join(format!("patter-midiin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.pat");
    std::fs::write(&file, "play a { note: \"0\" }\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["play", file.to_str().unwrap(), "--out", "null"])
        .args(["--midi-in", "nanoKONTROL", "--seconds", "5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("MIDI input 'nanoKONTROL'") && err.contains("--midi-in jack"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
