//! `patter render --score`: the NRT score through the real binary (scsynth renders it in
//! the tests crate's SuperCollider tests).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Output};

use rosc::{OscPacket, OscType};

fn patter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(args)
        .output()
        .unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("patter-sc-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (seconds, messages) of every bundle in a score.
fn read_score(bytes: &[u8]) -> Vec<(f64, Vec<rosc::OscMessage>)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let OscPacket::Bundle(b) = rosc::decoder::decode_udp(&rest[4..4 + n]).unwrap().1 else {
            panic!("not a bundle");
        };
        let t = b.timetag.seconds as f64 + b.timetag.fractional as f64 / 4_294_967_296.0;
        let msgs = b
            .content
            .into_iter()
            .map(|p| match p {
                OscPacket::Message(m) => m,
                OscPacket::Bundle(_) => panic!("nested bundle"),
            })
            .collect();
        out.push((t, msgs));
        rest = &rest[4 + n..];
    }
    out
}

#[test]
fn score_holds_every_event_in_time_order_and_is_deterministic() {
    let dir = temp("score");
    let file = dir.join("p.pat");
    std::fs::write(
        &file,
        "tempo 90\nplay d { s: \"bd hh sn hh\" }\nplay b { instrument: \"bass\", degree: seq([0, 3]), dur: 0.5 }",
    )
    .unwrap();
    let a = dir.join("a.osc");
    let b = dir.join("b.osc");
    for out in [&a, &b] {
        let o = patter(&[
            "render",
            file.to_str().unwrap(),
            "--bars",
            "2",
            "--score",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("scsynth -N"));
    }
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(bytes, std::fs::read(&b).unwrap());
    let score = read_score(&bytes);
    let times: Vec<f64> = score.iter().map(|(t, _)| *t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let s_new: Vec<&rosc::OscMessage> = score
        .iter()
        .flat_map(|(_, m)| m)
        .filter(|m| m.addr == "/s_new")
        .collect();
    // 2 bars: 8 drum hits and 16 bass notes.
    assert_eq!(s_new.len(), 24);
    let defs: Vec<&OscType> = s_new.iter().map(|m| &m.args[0]).collect();
    assert!(defs.contains(&&OscType::String("kick".into())));
    assert!(defs.contains(&&OscType::String("hat".into())));
    assert!(defs.contains(&&OscType::String("bass".into())));
    // The gated bass is released: one gate 0 per bass note.
    let releases = score
        .iter()
        .flat_map(|(_, m)| m)
        .filter(|m| m.addr == "/n_set")
        .count();
    assert_eq!(releases, 16);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_synthdefs_are_loaded_and_bad_ones_are_reported() {
    let dir = temp("defs");
    let mut g = patter_sc::GraphBuilder::new("mine", &[("freq", 440.0), ("gate", 1.0)]);
    let f = g.param("freq").unwrap();
    let s = g.ugen(
        "SinOsc",
        patter_sc::synthdef::Rate::Audio,
        &[f, 0.0.into()],
        1,
    );
    g.ugen("Out", patter_sc::synthdef::Rate::Audio, &[0.0.into(), s], 0);
    std::fs::write(dir.join("mine.scsyndef"), g.build().unwrap().file()).unwrap();
    let file = dir.join("p.pat");
    std::fs::write(&file, "play x { instrument: \"mine\", dur: 1 }").unwrap();
    let out = dir.join("s.osc");
    let o = patter(&[
        "render",
        file.to_str().unwrap(),
        "--beats",
        "2",
        "--score",
        out.to_str().unwrap(),
        "--synthdefs",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let score = read_score(&std::fs::read(&out).unwrap());
    let recv = score[0].1.iter().filter(|m| m.addr == "/d_recv").count();
    assert_eq!(recv, patter_sc::library::NAMES.len() + 1);
    // `mine` has a gate: each note is released.
    let releases = score
        .iter()
        .flat_map(|(_, m)| m)
        .filter(|m| m.addr == "/n_set")
        .count();
    assert_eq!(releases, 2);

    std::fs::write(dir.join("bad.scsyndef"), b"not a synthdef").unwrap();
    let o = patter(&[
        "render",
        file.to_str().unwrap(),
        "--beats",
        "2",
        "--score",
        out.to_str().unwrap(),
        "--synthdefs",
        dir.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.scsyndef") && err.contains("not a SynthDef file"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn playing_to_a_server_that_is_not_there_says_how_to_start_one() {
    let dir = temp("absent");
    let file = dir.join("p.pat");
    std::fs::write(&file, "play x { dur: 1 }").unwrap();
    // A port nobody listens on.
    let port = std::net::UdpSocket::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let o = patter(&[
        "play",
        file.to_str().unwrap(),
        "--out",
        &format!("scsynth:{port}"),
        "--seconds",
        "1",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no SuperCollider server answers") && err.contains("scsynth-boot"),
        "{err}"
    );
    let o = patter(&["play", file.to_str().unwrap(), "--out", "scsynth:nohost:"]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
