//! `patter play --out dirt:…` against a UDP listener in the test: every event arrives as a
//! timestamped bundle of one `/dirt/play` message with Tidal's names and types, stamped
//! ahead of its arrival, at exact beat spacing on the engine's clock.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rosc::{OscPacket, OscType};

/// Timetag (Unix seconds), arrival (Unix seconds), name/value pairs.
type Received = (f64, f64, Vec<(String, OscType)>);

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn tag_seconds(t: rosc::OscTime) -> f64 {
    f64::from(t.seconds) - 2_208_988_800.0 + f64::from(t.fractional) / 4_294_967_296.0
}

#[test]
fn dirt_output_sends_tidal_shaped_bundles_ahead_of_time() {
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    // A guard against a hang, not a timing assertion.
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("patter-osc-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dirt.pat");
    std::fs::File::create(&file)
        .unwrap()
        .write_all(b"tempo 120\nplay drums { s: \"bd:3 sn\", cut: 1 }\nplay keys { s: \"superpiano\", note: seq([0, 4, 7]), dur: 0.5 }\n")
        .unwrap();
    let play = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "play",
            file.to_str().unwrap(),
            "--out",
            &format!("dirt:127.0.0.1:{port}"),
            "--seconds",
            "2",
        ])
        .spawn()
        .unwrap();
    let mut got: Vec<Received> = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < 8 {
        let n = listener.recv(&mut buf).unwrap();
        let arrived = unix_now();
        let OscPacket::Bundle(b) = rosc::decoder::decode_udp(&buf[..n]).unwrap().1 else {
            panic!("expected a bundle");
        };
        let [OscPacket::Message(m)] = b.content.as_slice() else {
            panic!("expected one message per bundle");
        };
        assert_eq!(m.addr, "/dirt/play");
        let mut pairs = Vec::new();
        for c in m.args.chunks(2) {
            let [OscType::String(k), v] = c else {
                panic!("expected name/value pairs: {:?}", m.args);
            };
            pairs.push((k.clone(), v.clone()));
        }
        got.push((tag_seconds(b.timetag), arrived, pairs));
    }
    let out = play.wait_with_output().unwrap();
    assert!(out.status.success());
    let get = |pairs: &[(String, OscType)], k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(OscType::Nil)
    };
    for (tag, arrived, pairs) in &got {
        // Stamped 0.2 s (the latency) after an onset at most 0.1 s (the look-ahead) away.
        assert!(
            tag > arrived,
            "bundle stamped {tag} arrived later, at {arrived}"
        );
        assert_eq!(get(pairs, "orbit"), OscType::Int(0));
        assert_eq!(get(pairs, "cps"), OscType::Float(0.5));
        assert!(matches!(get(pairs, "cycle"), OscType::Float(_)));
        assert!(matches!(get(pairs, "delta"), OscType::Float(_)));
    }
    let drums: Vec<&Received> = got
        .iter()
        .filter(|g| get(&g.2, "_id_") == OscType::String("drums".into()))
        .collect();
    let first = &drums[0].2;
    assert_eq!(get(first, "s"), OscType::String("bd".into()));
    assert_eq!(get(first, "n"), OscType::Float(3.0));
    assert_eq!(get(first, "cut"), OscType::Int(1));
    assert_eq!(get(first, "delta"), OscType::Float(1.0));
    assert_eq!(get(&drums[1].2, "s"), OscType::String("sn".into()));
    // Drums every 2 beats (1 s), keys every half beat (0.25 s), exactly, on the engine clock.
    assert!((drums[1].0 - drums[0].0 - 1.0).abs() < 1e-6);
    let keys: Vec<f64> = got
        .iter()
        .filter(|g| get(&g.2, "_id_") == OscType::String("keys".into()))
        .map(|g| g.0)
        .collect();
    assert!(keys.len() >= 4);
    for w in keys.windows(2) {
        assert!((w[1] - w[0] - 0.25).abs() < 1e-6, "{keys:?}");
    }
    // Both players start at the same beat: the same timetag.
    assert!((keys[0] - drums[0].0).abs() < 1e-6);
    let _ = std::fs::remove_dir_all(&dir);
}
