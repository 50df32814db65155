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
    let server = ScServer::boot(&opts).unwrap_or_else(|e| panic!("boot failed: {e}"));
    Some((jack, server, opts))
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
}

#[test]
fn scsynth_accepts_and_runs_every_builtin_def() {
    every_builtin_def_is_accepted_and_runs(ServerKind::Scsynth);
}

#[test]
fn supernova_accepts_and_runs_every_builtin_def() {
    every_builtin_def_is_accepted_and_runs(ServerKind::Supernova);
}
