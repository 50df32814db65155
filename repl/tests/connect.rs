//! The session opens every output `patter play` can: `:connect dirt:HOST:PORT` from a
//! piped REPL sends the playing pattern to a UDP listener in the test, and a SuperCollider
//! spec reaches the SuperCollider opener (its own error, not "unknown output").
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use rosc::{OscPacket, OscType};

#[test]
fn connect_opens_a_dirt_output_and_the_supercollider_outputs() {
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    // A guard against a hang, not a timing assertion.
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["--out", "null", "--history", "none"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    write!(
        stdin,
        "play d {{ s: \"bd sn\" }}\n:connect scsynth-boot:notaport\n:connect dirt:127.0.0.1:{port}\n:sinks\n"
    )
    .unwrap();
    stdin.flush().unwrap();
    // The REPL keeps playing while its input stays open: wait for a /dirt/play message.
    let mut buf = [0u8; 4096];
    let n = listener.recv(&mut buf).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let OscPacket::Bundle(b) = rosc::decoder::decode_udp(&buf[..n]).unwrap().1 else {
        panic!("expected a bundle");
    };
    let Some(OscPacket::Message(m)) = b.content.first() else {
        panic!("expected a message in the bundle");
    };
    assert_eq!(m.addr, "/dirt/play");
    let s = m
        .args
        .windows(2)
        .find(|w| w[0] == OscType::String("s".into()))
        .map(|w| w[1].clone());
    assert!(
        matches!(&s, Some(OscType::String(v)) if v == "bd" || v == "sn"),
        "{:?}",
        m.args
    );
    let all = format!("{stdout}\n{stderr}");
    assert!(all.contains("`notaport` is not a port number"), "{all}");
    assert!(!all.contains("unknown output"), "{all}");
    assert!(all.contains(&format!("127.0.0.1:{port}")), "{all}");
}
