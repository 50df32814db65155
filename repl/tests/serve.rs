//! `patter serve` through the real binary: a protocol suite with good and bad clients while
//! the engine keeps scheduling, remote refusal, `patter send`, resuming after `kill -9`,
//! and a remote REPL killed while the music plays on. Waits poll published state (the
//! transport, event counts, files); nothing sleeps a fixed time to let things happen.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_patter");

fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for: {what}");
}

/// A directory removed when the test ends (declare it before the engine, so the engine is
/// stopped first).
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("patter-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A running `patter serve`, killed when dropped.
struct Serve {
    child: Child,
    tcp: String,
    socket: PathBuf,
    log: PathBuf,
}

impl Serve {
    fn start(dir: &Path, extra: &[&str]) -> Serve {
        let socket = dir.join("engine.sock");
        let log = dir.join("serve.log");
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--out", "null"])
            .arg("--socket")
            .arg(&socket)
            .arg("--state")
            .arg(dir.join("session.json"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let tcp = first.strip_prefix("listening tcp ").unwrap().to_string();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            format!("listening unix {}", socket.display())
        );
        Serve {
            child,
            tcp,
            socket,
            log,
        }
    }

    fn client(&self) -> Client {
        Client::new(UnixStream::connect(&self.socket).unwrap())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn connect_arg(&self) -> String {
        format!("unix:{}", self.socket.display())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A well-behaved client.
struct Client {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Client {
    fn new(stream: UnixStream) -> Client {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn line(&mut self) -> Option<Value> {
        let mut s = String::new();
        match self.reader.read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(serde_json::from_str(&s).unwrap()),
        }
    }

    /// The next reply, skipping pushes.
    fn reply(&mut self) -> Value {
        loop {
            let v = self.line().expect("a reply");
            if v.get("push").is_none() {
                return v;
            }
        }
    }

    fn call(&mut self, request: Value) -> Value {
        let mut line = serde_json::to_vec(&request).unwrap();
        line.push(b'\n');
        self.send_raw(&line);
        self.reply()
    }

    fn beat(&mut self) -> f64 {
        self.call(json!({"cmd": "transport"}))["beat"]
            .as_f64()
            .unwrap()
    }

    fn events(&mut self) -> u64 {
        self.call(json!({"cmd": "stats"}))["events"]
            .as_u64()
            .unwrap()
    }
}

/// The engine is still scheduling: its beat advances and it keeps producing events.
fn assert_engine_plays_on(c: &mut Client) {
    let (beat, events) = (c.beat(), c.events());
    eventually("the engine to move on", Duration::from_secs(10), || {
        c.beat() > beat + 1.0 && c.events() > events + 2
    });
}

const PROGRAM: &str =
    "tempo 240\nplay drums { s: \"bd*4\" }\nplay bass { degree: seq([0, 3]), dur: 0.5 }\n";

#[test]
fn good_and_bad_clients_never_disturb_the_engine() {
    let dir = temp_dir("suite");
    let serve = Serve::start(&dir, &[]);
    // The Unix socket is the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&serve.socket)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    let mut good = serve.client();
    let hello = good.call(json!({"cmd": "hello", "protocol": 1, "client": "test", "id": "h"}));
    assert_eq!(hello["reply"], "hello");
    assert_eq!(hello["protocol"], 1);
    assert_eq!(hello["id"], "h");
    assert!(hello["commands"]
        .as_array()
        .unwrap()
        .contains(&json!("render")));
    let reply = good.call(json!({"cmd": "eval", "doc": "set.pat", "source": PROGRAM}));
    assert_eq!(reply["reply"], "eval");
    assert_eq!(reply["ok"], true, "{reply}");
    let changes = reply["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert!(changes
        .iter()
        .all(|c| c["change"] == "started" && c["beat"].is_number()));
    // An error changes nothing and comes back as data.
    let bad =
        good.call(json!({"cmd": "eval", "doc": "set.pat", "source": "play drums { s: nope }"}));
    assert_eq!(bad["ok"], false);
    let d = &bad["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["labels"][0]["line"], 1);
    assert_eq!(d["labels"][0]["col"], 17);
    // The engine publishes its transport after it has taken the load: poll for it.
    eventually(
        "the players in the transport",
        Duration::from_secs(10),
        || {
            let t = good.call(json!({"cmd": "transport"}));
            t["running"] == true && t["players"] == json!(["drums", "bass"])
        },
    );
    eventually("events", Duration::from_secs(10), || good.events() > 0);
    // Transport commands, sinks and instruments.
    assert_eq!(
        good.call(json!({"cmd": "tempo", "bpm": 200}))["reply"],
        "done"
    );
    let sinks = good.call(json!({"cmd": "sinks"}));
    assert_eq!(sinks["sinks"][0]["name"], "null");
    let inst = good.call(json!({"cmd": "instruments"}));
    assert!(inst["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == "bd" && i["kind"] == "drum"));
    // Recordings and renders go only to files of their kind.
    let refused = good.call(json!({"cmd": "record", "path": dir.join("evil.sh")}));
    assert_eq!(refused["code"], "bad_arguments", "{refused}");
    assert!(!dir.join("evil.sh").exists());
    let take = dir.join("take.mid");
    assert_eq!(
        good.call(json!({"cmd": "record", "path": take}))["reply"],
        "done"
    );
    assert_eq!(good.call(json!({"cmd": "record"}))["reply"], "done");
    eventually("the recording", Duration::from_secs(10), || take.exists());
    // Metrics pushes arrive with the transport moving.
    assert_eq!(
        good.call(json!({"cmd": "subscribe", "interval_ms": 100}))["reply"],
        "done"
    );
    let mut beats = Vec::new();
    while beats.len() < 3 {
        let v = good.line().unwrap();
        if v["push"] == "metrics" {
            assert!(v["stats"]["events"].is_u64());
            beats.push(v["transport"]["beat"].as_f64().unwrap());
        }
    }
    assert!(beats[2] > beats[0], "{beats:?}");
    assert_eq!(good.call(json!({"cmd": "unsubscribe"}))["reply"], "done");
    // An offline render while the engine plays.
    let wav = dir.join("out.wav");
    let r = good.call(json!({"cmd": "render", "source": PROGRAM, "beats": 4, "format": "wav", "rate": 8000, "path": wav}));
    assert_eq!(r["reply"], "rendered", "{r}");
    // 4 beats at 240 BPM is 1 s, plus the 2 s tail.
    assert_eq!(r["frames"], 24_000);
    assert!(std::fs::metadata(&wav).unwrap().len() > 24_000 * 4);

    // Garbage, one line at a time: an error reply each, and the connection stays usable.
    let mut garbage = serve.client();
    garbage.send_raw(b"\xff\xfe\x00garbage\n");
    assert_eq!(garbage.reply()["code"], "not_utf8");
    garbage.send_raw(b"{{{{\n");
    assert_eq!(garbage.reply()["code"], "bad_json");
    garbage.send_raw(b"{\"cmd\": \"launch_missiles\", \"id\": 9}\n");
    let unknown = garbage.reply();
    assert_eq!(
        (unknown["code"].as_str(), unknown["id"].as_i64()),
        (Some("unknown_command"), Some(9))
    );
    garbage.send_raw(b"{\"cmd\": \"seek\", \"beat\": \"soon\"}\n");
    assert_eq!(garbage.reply()["code"], "bad_arguments");
    assert_eq!(garbage.call(json!({"cmd": "players"}))["reply"], "players");
    // A flood of garbage gets the connection closed.
    for _ in 0..40 {
        garbage.send_raw(b"nonsense\n");
    }
    let mut last = Value::Null;
    while let Some(v) = garbage.line() {
        last = v;
    }
    assert_eq!(last["code"], "too_many_errors");

    // A 2 MB line: an error, then the connection is closed.
    let mut huge = serve.client();
    let blob = vec![b'x'; 2 * 1024 * 1024];
    // The server stops reading after 1 MiB, so the rest of the write may fail.
    let _ = huge.stream.write_all(&blob);
    assert_eq!(huge.reply()["code"], "too_long");
    assert!(huge.line().is_none());

    // A client that connects and says nothing, one that sends half a line and stalls,
    // one that asks and vanishes before the reply, and one that never reads its replies.
    let silent = serve.client();
    let mut stalled = serve.client();
    stalled.send_raw(b"{\"cmd\": \"tra");
    {
        let mut vanishing = UnixStream::connect(&serve.socket).unwrap();
        vanishing
            .write_all(
                format!(
                    "{}\n",
                    json!({"cmd": "eval", "doc": "v.pat", "source": PROGRAM})
                )
                .as_bytes(),
            )
            .unwrap();
        vanishing
            .write_all(b"{\"cmd\": \"stats\"}\n{\"cmd\": \"snapshot\"}\n")
            .unwrap();
    }
    let deaf = UnixStream::connect(&serve.socket).unwrap();
    let deaf_writer = {
        let mut deaf = deaf.try_clone().unwrap();
        // Longer than the server's 2 s write timeout: the server gives up first.
        deaf.set_write_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        std::thread::spawn(move || {
            let line = b"{\"cmd\": \"snapshot\"}\n".repeat(1000);
            for _ in 0..1000 {
                if let Err(e) = deaf.write_all(&line) {
                    return Some(e.kind());
                }
            }
            None
        })
    };
    // Through all of it the engine schedules on and other clients are served.
    assert_engine_plays_on(&mut good);
    // The deaf client is dropped: its writes end with a broken pipe, not its own timeout.
    let ended = deaf_writer.join().unwrap();
    assert!(
        matches!(
            ended,
            Some(std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset)
        ),
        "{ended:?}"
    );
    assert!(
        serve.log().contains("it stopped reading"),
        "{}",
        serve.log()
    );
    eventually(
        "the stalled line to time out",
        Duration::from_secs(20),
        || serve.log().contains("a line took too long"),
    );
    // TCP clients are served the same way.
    let tcp = std::net::TcpStream::connect(&serve.tcp).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut tcp_reader = BufReader::new(tcp.try_clone().unwrap());
    (&tcp)
        .write_all(b"{\"cmd\": \"hello\", \"id\": 1}\n")
        .unwrap();
    let mut line = String::new();
    tcp_reader.read_line(&mut line).unwrap();
    assert!(line.contains("\"reply\":\"hello\""), "{line}");
    let mut late = serve.client();
    assert_eq!(
        late.call(json!({"cmd": "players"}))["players"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_engine_plays_on(&mut late);
    drop(silent);
    drop(deaf);
}

#[test]
fn clients_are_bounded() {
    let dir = temp_dir("bounded");
    let serve = Serve::start(&dir, &[]);
    let mut held: Vec<Client> = (0..32).map(|_| serve.client()).collect();
    // Each of them is attached (its thread answers).
    for c in &mut held {
        assert_eq!(c.call(json!({"cmd": "transport"}))["reply"], "transport");
    }
    let mut extra = serve.client();
    assert_eq!(extra.line().unwrap()["code"], "busy");
    assert!(extra.line().is_none());
    held.pop();
    eventually("a free slot", Duration::from_secs(10), || {
        let mut c = serve.client();
        // While the slots are still full the server has already closed this one.
        let _ = c.stream.write_all(b"{\"cmd\": \"transport\"}\n");
        c.line().is_some_and(|v| v["reply"] == "transport")
    });
}

#[test]
fn listening_beyond_loopback_needs_a_flag() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--out", "null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0"), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
}

fn send(serve: &Serve, args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(BIN)
        .arg("send")
        .args(args)
        .args(["--connect", &serve.connect_arg()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn send_evaluates_files_and_blocks_and_reports_as_json() {
    let dir = temp_dir("send");
    // No engine: a non-zero exit, and JSON an editor can show.
    let out = Command::new(BIN)
        .args(["send", "--json", "--connect"])
        .arg(format!("unix:{}", dir.join("nothing.sock").display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "no_engine");

    let serve = Serve::start(&dir, &[]);
    let file = dir.join("set.pat");
    std::fs::write(&file, PROGRAM).unwrap();
    let (code, stdout, _) = send(&serve, &[file.to_str().unwrap()], "");
    assert_eq!(code, Some(0));
    assert!(stdout.contains("drums started at beat"), "{stdout}");
    // A block on stdin amends the REPL document; --json prints the reply.
    let (code, stdout, _) = send(&serve, &["--json"], "play hats { s: \"hh*8\" }\n");
    assert_eq!(code, Some(0));
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["doc"].as_str()),
        (Some(true), Some("repl"))
    );
    let hats = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["player"] == "hats");
    assert_eq!(hats.unwrap()["change"], "started");
    // Errors: exit 1, diagnostics with spans as data, or rendered on stderr.
    let broken = "play hats {\n  s: \"hh*8\",\n  amp: nope,\n}\n";
    let (code, stdout, _) = send(&serve, &["--json"], broken);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["ok"], false);
    let label = &v["diagnostics"][0]["labels"][0];
    assert_eq!(
        (label["line"].as_u64(), label["col"].as_u64()),
        (Some(3), Some(8))
    );
    let (code, _, stderr) = send(&serve, &[], broken);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("Error") && stderr.contains("nothing that plays has changed"),
        "{stderr}"
    );
    let mut c = serve.client();
    assert_eq!(
        c.call(json!({"cmd": "players"}))["players"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // The VS Code extension's pure half reads the same reply (when node is here).
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editor-support/vscode/lib.js");
    let script = format!(
        "const l = require({:?}); const r = l.parseReply(process.argv[1]); console.log(JSON.stringify(l.diagnosticsFromReply(r, 20)[0].start));",
        lib.canonicalize().unwrap()
    );
    let node = Command::new("node").args(["-e", &script, &stdout]).output();
    if let Ok(out) = node {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Line 3 col 8 of the block, sent from editor line 21 (0-based 20).
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            r#"{"line":22,"col":7}"#
        );
    }
}

#[test]
fn vim_plugin_sends_blocks_and_fills_the_quickfix_list() {
    if Command::new("vim").arg("--version").output().is_err() {
        panic!("vim is needed (apt-get install vim)");
    }
    let dir = temp_dir("vim");
    let serve = Serve::start(&dir, &[]);
    let file = dir.join("live.pat");
    std::fs::write(
        &file,
        "tempo 120\n\nplay keys {\n  note: \"c4 e4\",\n  amp: nope,\n}\n\nplay drums { s: \"bd*2\" }\n",
    )
    .unwrap();
    let out = dir.join("qf.json");
    let rtp = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editor-support/vim");
    let script = format!(
        "set rtp^={rtp}\nfiletype plugin on\nruntime plugin/patter.vim\n\
         let g:patter_command = '{bin}'\nlet g:patter_connect = '{conn}'\nlet g:patter_quickfix = 0\n\
         edit {file}\n\
         call cursor(4, 1)\nPatterSend\nlet a = getqflist()\n\
         call cursor(8, 1)\nPatterSend\nlet b = getqflist()\n\
         call writefile([json_encode(map(a, '[v:val.lnum, v:val.col, v:val.type, v:val.text]')), json_encode(b)], '{out}')\n\
         qa!\n",
        rtp = rtp.canonicalize().unwrap().display(),
        bin = BIN,
        conn = serve.connect_arg(),
        file = file.display(),
        out = out.display(),
    );
    let script_file = dir.join("run.vim");
    std::fs::write(&script_file, script).unwrap();
    let status = Command::new("vim")
        .args(["-Nu", "NONE", "-i", "NONE", "-n", "-es", "-S"])
        .arg(&script_file)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let errors: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    // `nope` is on line 5 of the file, column 8: the block began at line 3.
    assert_eq!(errors[0][0], 5, "{errors}");
    assert_eq!(errors[0][1], 8, "{errors}");
    assert_eq!(errors[0][2], "E");
    assert_eq!(lines.next().unwrap(), "[]");
    let mut c = serve.client();
    assert_eq!(
        c.call(json!({"cmd": "transport"}))["players"],
        json!(["drums"])
    );
}

#[test]
fn resume_after_kill_9_brings_the_session_back() {
    let dir = temp_dir("resume");
    let state = dir.join("session.json");
    {
        let serve = Serve::start(&dir, &[]);
        let mut c = serve.client();
        assert_eq!(
            c.call(json!({"cmd": "eval", "doc": "set.pat", "source": PROGRAM}))["ok"],
            true
        );
        assert_eq!(
            c.call(json!({"cmd": "eval", "doc": "repl", "source": "play hats { s: \"hh*8\" }"}))
                ["ok"],
            true
        );
        assert_eq!(
            c.call(json!({"cmd": "mute", "player": "bass", "on": true}))["reply"],
            "done"
        );
        eventually("the state file", Duration::from_secs(10), || {
            std::fs::read_to_string(&state).is_ok_and(|s| {
                s.contains("hats") && s.contains("\"bass\"") && s.contains("\"tempo\": 240")
            })
        });
        // Dropping kills with SIGKILL: no chance to save on the way out.
    }
    // A REPL attached to this engine keeps working across the engine's next crash: below.
    let serve = Serve::start(&dir, &["--resume"]);
    let mut repl = Command::new(BIN)
        .args([
            "repl",
            "--history",
            "none",
            "--connect",
            &serve.connect_arg(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut repl_in = repl.stdin.take().unwrap();
    repl_in.write_all(b":players\n").unwrap();
    assert!(
        serve.log().contains("resumed 2 document(s)"),
        "{}",
        serve.log()
    );
    let mut c = serve.client();
    let players = c.call(json!({"cmd": "players"}));
    let names: Vec<&str> = players["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["drums", "bass", "hats"]);
    assert!(players["players"][1]["muted"].as_bool().unwrap());
    eventually("the saved tempo", Duration::from_secs(10), || {
        c.call(json!({"cmd": "transport"}))["tempo"] == 240.0
    });
    assert_engine_plays_on(&mut c);
    let docs = c.call(json!({"cmd": "docs"}));
    assert_eq!(docs["docs"], json!(["set.pat", "repl"]));

    // The engine dies and comes back: the attached REPL reconnects on its next request.
    eventually("the REPL to attach", Duration::from_secs(10), || {
        serve
            .log()
            .contains(concat!("patter ", env!("CARGO_PKG_VERSION"), " attached"))
    });
    drop(c);
    drop(serve);
    let serve = Serve::start(&dir, &["--resume"]);
    repl_in.write_all(b":players\n").unwrap();
    drop(repl_in);
    let out = repl.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("hats")).count(),
        2,
        "{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("lost the engine") && !stderr.contains("lost the engine"),
        "{stdout}\n{stderr}"
    );
    let mut c = serve.client();
    assert_engine_plays_on(&mut c);
}

#[test]
fn a_killed_remote_repl_leaves_the_music_playing_and_a_new_one_sees_it() {
    let dir = temp_dir("repl");
    let serve = Serve::start(&dir, &[]);
    let mut repl = Command::new(BIN)
        .args([
            "repl",
            "--history",
            "none",
            "--connect",
            &serve.connect_arg(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = repl.stdin.take().unwrap();
    stdin
        .write_all(b"play lead { degree: seq([0, 2, 4]), dur: 0.25 }\n:tempo 180\n")
        .unwrap();
    let mut c = serve.client();
    eventually("the REPL's player", Duration::from_secs(10), || {
        c.call(json!({"cmd": "transport"}))["players"] == json!(["lead"])
    });
    eventually("events", Duration::from_secs(10), || c.events() > 0);
    repl.kill().unwrap();
    repl.wait().unwrap();
    drop(stdin);
    assert_engine_plays_on(&mut c);

    // A new REPL attaches and sees what plays.
    let mut again = Command::new(BIN)
        .args([
            "repl",
            "--history",
            "none",
            "--connect",
            &serve.connect_arg(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    again
        .stdin
        .take()
        .unwrap()
        .write_all(b":players\n")
        .unwrap();
    let mut out = String::new();
    again
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(again.wait().unwrap().success());
    assert!(
        out.lines()
            .any(|l| l.starts_with("lead") && l.contains("repl")),
        "{out}"
    );
    // Leaving it did not stop anything either.
    assert_engine_plays_on(&mut c);
    assert!(
        (c.call(json!({"cmd": "transport"}))["tempo"]
            .as_f64()
            .unwrap()
            - 180.0)
            .abs()
            < 1e-9
    );
}
