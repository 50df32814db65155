//! `patter play` with no --out plays the built-in synth on JACK when a server runs: its
//! ports appear, connect to the system outputs, and a JACK client of the test's own hears
//! kicks exactly two beats (48 000 frames at 120 BPM, 48 kHz) apart.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command as Process, Stdio};

use patter_tests::jackd::JackServer;
use patter_tests::listen::{
    check_spacing, eventually, listener, onsets, recording, use_server, PERIOD,
};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn patter_play_defaults_to_the_synth_on_jack() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Some(server) = JackServer::start_realtime("audio-cli", 48_000, PERIOD as u32) else {
        panic!("jackd is required for this test: apt-get install jackd2 (CI installs it)");
    };
    use_server(&server);
    let (ear, blocks) = listener("ear");
    let dir = std::env::temp_dir().join(format!("patter-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("kicks.pat");
    std::fs::write(&src, "tempo 120\nplay d { s: \"bd ~ bd ~\", amp: 0.5 }\n").unwrap();
    let child = Process::new(env!("CARGO_BIN_EXE_patter"))
        .args(["play", src.to_str().unwrap(), "--seconds", "4"])
        .env("JACK_DEFAULT_SERVER", &server.name)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its ports appear as its client starts (and connect once it is active); by default
    // they are connected to the system outputs.
    let c = ear.as_client();
    assert!(eventually(|| c
        .connect_ports_by_name("patter_out:out_0", "ear:in")
        .is_ok()));
    let system = c.port_by_name("system:playback_1").unwrap();
    assert!(eventually(|| system
        .is_connected_to("patter_out:out_0")
        .unwrap_or(false)));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("on synth:jack"), "{err}");
    let (_, audio) = recording(&blocks);
    drop(ear);
    drop(server);
    std::fs::remove_dir_all(&dir).ok();

    let peak = audio.iter().fold(0.0f32, |p, x| p.max(x.abs()));
    assert!(peak > 0.1, "the kicks are heard (peak {peak})");
    let clean = err.contains(" 0 late, 0 dropped, 0 errors");
    check_spacing(&onsets(&audio, 10_000), 48_000, clean);
}
