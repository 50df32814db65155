//! patter against real SuperCollider servers (scsynth and supernova on a JACK dummy
//! server): every built-in SynthDef is accepted and runs; the sink plays a pattern through
//! the engine with every event created and none late; a killed and restarted server is
//! picked up again; an NRT score renders with onsets where the events are.
//!
//! Each test skips (passes with a note) when jackd or the server is not installed; `.ci/run`
//! installs them.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use patter_sc::server::{BootOptions, ScServer, ServerKind};
use patter_tests::jackd::JackServer;
use rosc::{OscMessage, OscPacket, OscType};

/// A UDP port nobody uses now.
fn free_port() -> u16 {
    UdpSocket::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn have(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// One server pair at a time: on 2 cores, parallel servers make each other late, and
/// supernova sometimes fails to reach its JACK server while another one starts.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A JACK dummy server and a SuperCollider server on it, or None (with a note) when either
/// is missing.
fn servers(kind: ServerKind, tag: &str) -> Option<(JackServer, ScServer, BootOptions)> {
    if !have("jackd") || !have(kind.program()) {
        eprintln!("skipped: jackd or {} not installed", kind.program());
        return None;
    }
    let jack = JackServer::start(tag, 48_000, 256).expect("jackd did not start");
    let mut opts = BootOptions::new(kind, free_port());
    opts.env = vec![
        ("JACK_DEFAULT_SERVER".into(), jack.name.clone()),
        ("JACK_NO_START_SERVER".into(), "1".into()),
        // Our dummy server has no system ports worth connecting to.
        ("SC_JACK_DEFAULT_OUTPUTS".into(), String::new()),
    ];
    if kind == ServerKind::Supernova {
        opts.threads = 2;
    }
    let server = boot(&opts);
    Some((jack, server, opts))
}

/// Boot, with one more try: supernova occasionally aborts at start-up when its JACK
/// connection fails.
fn boot(opts: &BootOptions) -> ScServer {
    ScServer::boot(opts)
        .or_else(|_| ScServer::boot(opts))
        .unwrap_or_else(|e| panic!("boot failed: {e}"))
}

fn msg(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    rosc::encoder::encode(&OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

/// Messages received until `done` says stop or `timeout` passes.
fn collect(
    sock: &UdpSocket,
    timeout: Duration,
    mut done: impl FnMut(&[OscMessage]) -> bool,
) -> Vec<OscMessage> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_536];
    let deadline = Instant::now() + timeout;
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    while Instant::now() < deadline && !done(&got) {
        if let Ok(n) = sock.recv(&mut buf) {
            if let Ok((_, OscPacket::Message(m))) = rosc::decoder::decode_udp(&buf[..n]) {
                got.push(m);
            }
        }
    }
    got
}

fn int_arg(m: &OscMessage, i: usize) -> Option<i32> {
    match m.args.get(i) {
        Some(OscType::Int(x)) => Some(*x),
        _ => None,
    }
}

fn every_builtin_def_is_accepted_and_runs(kind: ServerKind) {
    let _one = serial();
    let Some((_jack, server, _)) = servers(kind, "scdefs") else {
        return;
    };
    let sock = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    sock.connect(server.addr()).unwrap();
    sock.send(&msg("/notify", vec![OscType::Int(1)])).unwrap();
    let defs = patter_sc::library::builtin().unwrap();
    for d in &defs {
        sock.send(&msg("/d_recv", vec![OscType::Blob(d.file())]))
            .unwrap();
    }
    let replies = collect(&sock, Duration::from_secs(5), |got| {
        got.iter()
            .filter(|m| {
                m.addr == "/done" && m.args.first() == Some(&OscType::String("/d_recv".into()))
            })
            .count()
            == defs.len()
    });
    let done = replies
        .iter()
        .filter(|m| m.addr == "/done" && m.args.first() == Some(&OscType::String("/d_recv".into())))
        .count();
    assert_eq!(
        done,
        defs.len(),
        "{kind:?} replies: {replies:?}\nlog: {:?}",
        server.log().lines()
    );

    // Each one runs: /n_go, then /n_end once released (gated) or finished (self-freeing).
    for (i, d) in defs.iter().enumerate() {
        let node = 20_000 + i as i32;
        sock.send(&msg(
            "/s_new",
            vec![
                OscType::String(d.name.clone()),
                OscType::Int(node),
                OscType::Int(0),
                OscType::Int(0),
                OscType::String("sustain".into()),
                OscType::Float(0.05),
                OscType::String("release".into()),
                OscType::Float(0.05),
            ],
        ))
        .unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    for (i, d) in defs.iter().enumerate() {
        if d.gated() {
            let node = 20_000 + i as i32;
            sock.send(&msg(
                "/n_set",
                vec![
                    OscType::Int(node),
                    OscType::String("gate".into()),
                    OscType::Float(0.0),
                ],
            ))
            .unwrap();
        }
    }
    let nodes = |got: &[OscMessage], addr: &str| -> Vec<i32> {
        let mut v: Vec<i32> = got
            .iter()
            .filter(|m| m.addr == addr)
            .filter_map(|m| int_arg(m, 0))
            .filter(|n| *n >= 20_000)
            .collect();
        v.sort_unstable();
        v
    };
    let replies = collect(&sock, Duration::from_secs(5), |got| {
        nodes(got, "/n_end").len() == defs.len()
    });
    let expected: Vec<i32> = (0..defs.len() as i32).map(|i| 20_000 + i).collect();
    assert_eq!(nodes(&replies, "/n_go"), expected, "{kind:?}: {replies:?}");
    assert_eq!(nodes(&replies, "/n_end"), expected, "{kind:?}: {replies:?}");
    assert!(
        !replies.iter().any(|m| m.addr == "/fail"),
        "{kind:?}: {replies:?}"
    );

    // A bundle stamped a second ago is late, and the server's log says so: the "no late"
    // checks below can see lateness.
    let past = std::time::SystemTime::now() - Duration::from_secs(1);
    let bundle = OscPacket::Bundle(rosc::OscBundle {
        timetag: rosc::OscTime::try_from(past).unwrap(),
        content: vec![OscPacket::Message(OscMessage {
            addr: "/s_new".into(),
            args: vec![
                OscType::String("hat".into()),
                OscType::Int(30_000),
                OscType::Int(0),
                OscType::Int(0),
            ],
        })],
    });
    sock.send(&rosc::encoder::encode(&bundle).unwrap()).unwrap();
    let log = server.log();
    assert!(
        eventually(Duration::from_secs(3), || log.late() >= 1),
        "{kind:?}: {:?}",
        log.lines()
    );
}

#[test]
fn scsynth_accepts_and_runs_every_builtin_def() {
    every_builtin_def_is_accepted_and_runs(ServerKind::Scsynth);
}

#[test]
fn supernova_accepts_and_runs_every_builtin_def() {
    every_builtin_def_is_accepted_and_runs(ServerKind::Supernova);
}

fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

fn load(engine: &patter_runtime::Engine, src: &str) -> usize {
    let program = patter_tests::compile(src).program.unwrap();
    let count = patter_tests::events(
        &program,
        patter_pattern::Time::ZERO,
        patter_pattern::Time::int(64),
    )
    .len();
    engine.send(patter_runtime::Command::Load {
        program: Box::new(program),
        mode: patter_runtime::LoadMode::Replace,
        quant: None,
        // Finite players start from their beginning (in phase, they would be over).
        phase: patter_runtime::Phase::Restart,
        tempo: None,
    });
    count
}

/// A finite pattern plays through the engine: every event starts (`/n_go`) and ends
/// (`/n_end`, gated ones after their release), the server logs no late bundle; then the
/// server is killed and a new one started on the same port, and the next pattern plays on
/// it in full.
fn engine_plays_and_survives_a_restart(kind: ServerKind) {
    let _one = serial();
    let Some((_jack, mut server, opts)) = servers(kind, "scplay") else {
        return;
    };
    let mut engine = patter_runtime::Engine::start(patter_runtime::EngineConfig {
        tempo: 240.0,
        ..patter_runtime::EngineConfig::default()
    });
    let config = patter_sc::ScConfig::connect(kind, server.addr());
    let sink = patter_sc::ScSink::start(config, engine.origin()).unwrap();
    let handle = sink.handle();
    engine.send(patter_runtime::Command::AddSink(Box::new(sink)));
    let n = load(
        &engine,
        "play a { instrument: \"ping\", degree: seq([0, 2, 4, 7], 2), dur: 0.25 }\n\
         play b { instrument: \"saw\", degree: seq([0, 4], 2), dur: 0.5, legato: 0.5 }\n\
         play c { s: \"kick hat snare hat\" }",
    );
    assert_eq!(n, 8 + 4 + 4 * 16);
    engine.send(patter_runtime::Command::Play);
    // The drums loop; count the two finite players plus the drums' first bar.
    assert!(
        eventually(Duration::from_secs(10), || handle.n_end() >= n as u64 - 60),
        "{kind:?}: {} started, {} ended, fails {} ({})",
        handle.n_go(),
        handle.n_end(),
        handle.fails(),
        handle.last_fail()
    );
    let log = server.log();
    assert_eq!(handle.fails(), 0, "{kind:?}: {}", handle.last_fail());
    assert_eq!(log.late(), 0, "{kind:?} printed late: {:?}", log.lines());
    let metrics = engine.metrics();
    let m = metrics.sinks.first().unwrap();
    assert_eq!(m.late, 0, "{m:?}");
    assert_eq!(m.errors, 0, "{m:?}");
    assert!(m.connected);
    assert!(handle.status_replies() > 0);
    assert_eq!(handle.status().sample_rate, 48_000.0);
    assert!(handle.status().groups >= 4, "{:?}", handle.status());
    // The server's own report reaches the engine's metrics (what `:stats` prints).
    let sv = m
        .server
        .expect("the SuperCollider sink reports its server's status");
    assert!(sv.groups >= 4 && sv.synthdefs >= 11, "{sv:?}");
    assert!((0.0..=100.0).contains(&sv.avg_cpu), "{sv:?}");

    // Kill it outright; start a new one on the same port.
    std::process::Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    server.stop();
    assert!(eventually(Duration::from_secs(5), || !handle.is_connected()));
    let server = boot(&opts);
    assert!(
        eventually(Duration::from_secs(5), || handle.is_connected()
            && handle.reconnects() >= 1),
        "{kind:?}: not reconnected"
    );
    let before = handle.n_go();
    let m = load(
        &engine,
        "play a { instrument: \"pluck\", degree: seq([0, 1, 2, 3], 1), dur: 0.25 }",
    );
    assert!(
        eventually(Duration::from_secs(10), || handle.n_end()
            >= before + m as u64
            && handle.n_go() >= before + m as u64),
        "{kind:?} after restart: {} started, {} ended, fails {} ({}), {:?}\n{:?}",
        handle.n_go() - before,
        handle.n_end(),
        handle.fails(),
        handle.last_fail(),
        engine.metrics().sinks,
        server.log().lines()
    );
    engine.shutdown();
    assert_eq!(server.log().late(), 0, "{:?}", server.log().lines());
}

#[test]
fn scsynth_plays_every_event_on_time_and_survives_a_restart() {
    engine_plays_and_survives_a_restart(ServerKind::Scsynth);
}

#[test]
fn supernova_plays_every_event_on_time_and_survives_a_restart() {
    engine_plays_and_survives_a_restart(ServerKind::Supernova);
}

/// The NRT score of a pattern renders with `scsynth -N`, and every onset in the WAV is
/// where its event is, within one sample (`OffsetOut`). `ping` starts from silence (a sine
/// at phase 0 under an envelope at 0), so its first non-zero sample is the one after its
/// onset.
#[test]
fn nrt_score_renders_with_sample_accurate_onsets() {
    if !have("scsynth") {
        eprintln!("skipped: scsynth not installed");
        return;
    }
    let _one = serial();
    let src = "tempo 137\nplay a { instrument: \"ping\", freq: 1000, amp: 0.5, \
               dur: seq([0.75, 1.25, 0.5, 1, 0.625], 1), legato: 0.2 }";
    let program = patter_tests::compile(src).program.unwrap();
    let events = patter_runtime::render::events(
        &program,
        patter_pattern::Time::ZERO,
        patter_pattern::Time::int(8),
    )
    .unwrap();
    assert_eq!(events.len(), 5);
    let defs: Vec<patter_sc::sink::DefFile> = patter_sc::library::builtin()
        .unwrap()
        .iter()
        .map(patter_sc::sink::DefFile::of)
        .collect();
    let score = patter_sc::score::score(&program, &events, &defs);
    let dir = std::env::temp_dir().join(format!("patter-nrt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let score_path = dir.join("score.osc");
    let wav_path = dir.join("out.wav");
    std::fs::write(&score_path, &score).unwrap();
    let out = std::process::Command::new("scsynth")
        .arg("-N")
        .arg(&score_path)
        .arg("_")
        .arg(&wav_path)
        .args(["48000", "WAV", "int16", "-o", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut reader = hound::WavReader::open(&wav_path).unwrap();
    assert_eq!(reader.spec().channels, 2);
    let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    let frames: Vec<i32> = samples
        .chunks(2)
        .map(|c| i32::from(c[0]).abs().max(i32::from(c[1]).abs()))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let spb = 60.0 / 137.0;
    let mut from = 0usize;
    for e in &events {
        let expected = e.beat.to_f64() * spb * 48_000.0;
        let first = from
            + frames[from..]
                .iter()
                .position(|x| *x != 0)
                .unwrap_or_else(|| panic!("no sound after frame {from}"));
        let onset = first - 1;
        assert!(
            (onset as f64 - expected).abs() <= 1.0,
            "event at beat {} expected at frame {expected:.2}, sounded at {onset}",
            e.beat
        );
        // Skip this note: it has ended (and freed itself) before the next onset.
        from = ((e.beat.to_f64() + e.sustain) * spb * 48_000.0) as usize + 480;
        assert!(frames[from..from + 100].iter().all(|x| *x == 0));
    }
    // The score ends two seconds after the last release.
    let seconds = frames.len() as f64 / 48_000.0;
    let last = events.last().unwrap();
    let end = (last.beat.to_f64() + last.sustain) * spb + patter_sc::score::TAIL_SECONDS;
    assert!((seconds - end).abs() < 0.01, "{seconds} s, expected {end}");
}

/// A `mono` player plays one node and moves it with `/n_set`; stopping the transport
/// releases it. An unknown instrument is reported through the server's `/fail`.
#[test]
fn mono_players_play_one_node_and_unknown_instruments_are_reported() {
    let _one = serial();
    let Some((_jack, server, _)) = servers(ServerKind::Scsynth, "scmono") else {
        return;
    };
    let mut engine = patter_runtime::Engine::start(patter_runtime::EngineConfig {
        tempo: 240.0,
        ..patter_runtime::EngineConfig::default()
    });
    let sink = patter_sc::ScSink::start(
        patter_sc::ScConfig::connect(ServerKind::Scsynth, server.addr()),
        engine.origin(),
    )
    .unwrap();
    let handle = sink.handle();
    engine.send(patter_runtime::Command::AddSink(Box::new(sink)));
    load(
        &engine,
        "play m { instrument: \"pad\", mono: 1, degree: seq([0, 2, 4, 5], 2), dur: 0.25 }",
    );
    engine.send(patter_runtime::Command::Play);
    assert!(eventually(Duration::from_secs(5), || {
        engine.metrics().sinks.first().is_some_and(|m| m.sent >= 8)
    }));
    // All eight events reached the server (and none failed); one node sounds.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(handle.fails(), 0, "{}", handle.last_fail());
    assert_eq!(handle.n_go(), 1);
    assert_eq!(handle.n_end(), 0);
    engine.send(patter_runtime::Command::StopTransport);
    assert!(
        eventually(Duration::from_secs(5), || handle.n_end() == 1),
        "not released"
    );

    load(&engine, "play x { instrument: \"nope\", dur: 1 }");
    engine.send(patter_runtime::Command::Play);
    assert!(
        eventually(Duration::from_secs(5), || handle.fails() >= 1),
        "no /fail"
    );
    assert_eq!(handle.last_fail(), "/s_new: SynthDef not found");

    // Another client frees every node (sclang's `Server.freeAll`): the server is the same,
    // but our groups are gone. The sink notices (its sentinel group is missing), makes them
    // again, and plays on.
    load(&engine, "play y { instrument: \"hat\", dur: 0.25 }");
    assert!(eventually(Duration::from_secs(5), || handle.n_end() >= 5));
    let fails = handle.fails();
    assert_eq!(handle.reconnects(), 0);
    let other = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    other
        .send_to(&msg("/g_freeAll", vec![OscType::Int(0)]), server.addr())
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || handle.reconnects() == 1),
        "the lost groups were not noticed"
    );
    let before = handle.n_end();
    assert!(eventually(Duration::from_secs(5), || handle.n_end() >= before + 4));
    // At most the events sent before the loss was noticed (a poll, 0.1 s, at 16 a second)
    // failed.
    assert!(
        handle.fails() - fails <= 8,
        "{} {}",
        handle.fails() - fails,
        handle.last_fail()
    );
    assert!(handle.is_connected());
    engine.shutdown();
}

/// A server the sink booted itself is booted again when it dies, gets the definitions
/// again, and plays on; closing the sink stops it.
#[test]
fn a_booted_server_that_dies_is_booted_again() {
    if !have("jackd") || !have("scsynth") {
        eprintln!("skipped: jackd or scsynth not installed");
        return;
    }
    let _one = serial();
    let jack = JackServer::start("scboot", 48_000, 256).expect("jackd did not start");
    let mut opts = BootOptions::new(ServerKind::Scsynth, free_port());
    opts.env = vec![
        ("JACK_DEFAULT_SERVER".into(), jack.name.clone()),
        ("JACK_NO_START_SERVER".into(), "1".into()),
        ("SC_JACK_DEFAULT_OUTPUTS".into(), String::new()),
    ];
    let mut engine = patter_runtime::Engine::start(patter_runtime::EngineConfig {
        tempo: 240.0,
        ..patter_runtime::EngineConfig::default()
    });
    let sink =
        patter_sc::ScSink::start(patter_sc::ScConfig::boot(opts.clone()), engine.origin()).unwrap();
    let handle = sink.handle();
    let first = sink.server_pid().unwrap();
    assert_eq!(handle.boots(), 1);
    engine.send(patter_runtime::Command::AddSink(Box::new(sink)));
    load(&engine, "play a { instrument: \"hat\", dur: 0.25 }");
    engine.send(patter_runtime::Command::Play);
    assert!(eventually(Duration::from_secs(5), || handle.n_end() >= 4));

    std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap();
    assert!(
        eventually(Duration::from_secs(15), || handle.boots() == 2
            && handle.is_connected()),
        "not booted again"
    );
    let before = handle.n_end();
    assert!(
        eventually(Duration::from_secs(5), || handle.n_end() >= before + 4),
        "not playing after the reboot: {}",
        handle.last_fail()
    );
    assert_eq!(handle.fails(), 0, "{}", handle.last_fail());
    engine.shutdown();
    // The sink stopped its server: nothing answers on the port any more.
    assert!(!patter_sc::server::probe(
        std::net::SocketAddr::from(([127, 0, 0, 1], opts.port)),
        Duration::from_millis(300)
    ));
}

/// Two patter sessions on one server: each gets its own client id from `/notify`, so their
/// groups and nodes never collide, and each counts only its own synths.
#[test]
fn two_sessions_share_a_server_without_collisions() {
    let _one = serial();
    let Some((_jack, server, _)) = servers(ServerKind::Scsynth, "sctwo") else {
        return;
    };
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let engine = patter_runtime::Engine::start(patter_runtime::EngineConfig {
            tempo: 240.0,
            ..patter_runtime::EngineConfig::default()
        });
        let sink = patter_sc::ScSink::start(
            patter_sc::ScConfig::connect(ServerKind::Scsynth, server.addr()),
            engine.origin(),
        )
        .unwrap();
        let handle = sink.handle();
        engine.send(patter_runtime::Command::AddSink(Box::new(sink)));
        sessions.push((engine, handle));
    }
    assert_ne!(sessions[0].1.client_base(), sessions[1].1.client_base());
    assert_eq!(
        sessions[0].1.group_of(0) - sessions[0].1.client_base(),
        1000
    );
    let counts = [6, 10];
    for ((engine, _), n) in sessions.iter().zip(counts) {
        load(
            engine,
            &format!(
                "play a {{ instrument: \"ping\", degree: seq([0, 2], {}), dur: 0.25 }}",
                n / 2
            ),
        );
        engine.send(patter_runtime::Command::Play);
    }
    for ((_, handle), n) in sessions.iter().zip(counts) {
        assert!(
            eventually(Duration::from_secs(8), || handle.n_end() >= n),
            "{} of {n} ended; {}",
            handle.n_end(),
            handle.last_fail()
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    for ((_, handle), n) in sessions.iter().zip(counts) {
        assert_eq!(handle.n_go(), n);
        assert_eq!(handle.n_end(), n);
        assert_eq!(handle.fails(), 0, "{}", handle.last_fail());
    }
    for (mut engine, _) in sessions {
        engine.shutdown();
    }
    assert_eq!(server.log().late(), 0);
}
