//! `patter play` with no --out plays the built-in synth on JACK when a server runs: its
//! ports appear, connect to the system outputs, and a JACK client of the test's own hears
//! kicks exactly two beats (48 000 frames at 120 BPM, 48 kHz) apart.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command as Process, Stdio};

use patter_tests::listen::{
    check_spacing, connect_ear, eventually, onsets, recording, server_and_ear,
};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Late notes, xruns and clock corrections from the summary line `synth:jack: N sent, L
/// late, D dropped, E errors[, C clock corrections …]` on patter's stderr.
fn trouble(err: &str) -> u64 {
    let line = err
        .lines()
        .find(|l| l.contains("synth:jack:") && l.contains(" sent,"));
    let count = |what: &str| {
        line.and_then(|l| {
            l.split(',')
                .find(|part| part.trim_end().ends_with(what))
                .and_then(|part| part.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
        })
    };
    let (Some(late), Some(errors)) = (count("late"), count("errors")) else {
        panic!("no summary line for synth:jack in:\n{err}");
    };
    let corrections = line
        .and_then(|l| l.split(", ").find(|p| p.contains("clock corrections")))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    late + errors + corrections
}

#[test]
fn patter_play_defaults_to_the_synth_on_jack() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (server, ear, blocks) = server_and_ear("audio-cli");
    let dir = std::env::temp_dir().join(format!("patter-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("kicks.pat");
    std::fs::write(&src, "tempo 120\nplay d { s: \"bd ~ bd ~\", amp: 0.5 }\n").unwrap();
    let child = Process::new(env!("CARGO_BIN_EXE_patter"))
        // 3.7 s: kicks on beats 0, 2, 4 and 6, none at the moment playing stops (a note
        // there may be cut, or placed after the summary's counts were taken).
        .args(["play", src.to_str().unwrap(), "--seconds", "3.7"])
        .env("JACK_DEFAULT_SERVER", &server.name)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its ports appear as its client starts (and connect once it is active); by default
    // they are connected to the system outputs.
    let c = ear.as_client();
    let connected = connect_ear(c, "patter_out:out_0");
    let system = c.port_by_name("system:playback_1").unwrap();
    assert!(eventually(|| system
        .is_connected_to("patter_out:out_0")
        .unwrap_or(false)));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("on synth:jack"), "{err}");
    let rec = recording(&blocks);
    let audio = &rec.samples;
    drop(ear);
    drop(server);
    std::fs::remove_dir_all(&dir).ok();

    let peak = audio.iter().fold(0.0f32, |p, x| p.max(x.abs()));
    assert!(peak > 0.1, "the kicks are heard (peak {peak})");
    let heard = rec.after(connected, &onsets(audio, 10_000));
    check_spacing(&heard, 48_000, trouble(&err), 3, &err);
}

/// Write a mono 16-bit WAV at 48 kHz: `frames` frames at `level`.
fn write_block_wav(path: &std::path::Path, frames: usize, level: f32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for _ in 0..frames {
        w.write_sample((level * 32_768.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn patter_play_plays_samples_from_a_samples_folder_from_the_first_beat() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (server, ear, blocks) = server_and_ear("audio-samples");
    let dir = std::env::temp_dir().join(format!("patter-samples-{}", std::process::id()));
    let folder = dir.join("lib").join("blip");
    std::fs::create_dir_all(&folder).unwrap();
    // A block of DC 1000 frames long: unlike any built-in sound, easy to recognise.
    write_block_wav(&folder.join("0.wav"), 1_000, 0.25);
    let src = dir.join("blips.pat");
    std::fs::write(
        &src,
        "tempo 120\nplay d { s: \"blip ~ blip ~\" }\nplay x { s: \"nosuch\" }\n",
    )
    .unwrap();
    let child = Process::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "play",
            src.to_str().unwrap(),
            "--seconds",
            "3.7",
            "--connect",
            "off",
        ])
        .arg("--samples")
        .arg(dir.join("lib"))
        .env("JACK_DEFAULT_SERVER", &server.name)
        .env("PATTER_SAMPLES", "")
        .env("HOME", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let connected = connect_ear(ear.as_client(), "patter_out:out_0");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    // An unknown name is reported once on the console, not once per event.
    assert_eq!(err.matches("no sound called `nosuch`").count(), 1, "{err}");
    assert!(!err.contains("`blip`"), "{err}");
    let rec = recording(&blocks);
    let audio = &rec.samples;
    drop(ear);
    drop(server);
    std::fs::remove_dir_all(&dir).ok();

    // The recording starts when the test's own client does, possibly just before the first
    // blip: its start counts as silence.
    let heard = patter_tests::audio::onsets_after_silence(audio, 10_000);
    // Beats 0, 2, 4 and 6 of 3.7 seconds at 120 BPM (none where playing stops): preloaded,
    // the first beat plays too.
    assert!(heard.len() >= 4, "every blip is heard: {heard:?}\n{err}");
    // Each onset is the sample itself: 1000 frames of a steady level, then silence (the
    // last may be cut by the fade as `patter play` stops).
    // A blip may sound as the ear connects (patter already plays): it is cut at its start,
    // so only blips that start after the connection are measured.
    // A blip in a cycle the ear missed (an xrun in the test's own client) cannot be judged,
    // nor can any on a machine so loaded that the server xruns continually (patter's own
    // buffers then go missing too).
    let trouble = trouble(&err);
    let after_connect = rec.after(connected, &heard);
    let judged: Vec<usize> = rec
        .after(connected, &heard[..heard.len() - 1])
        .into_iter()
        .filter(|&at| trouble <= 3 && rec.heard_all(at..at + 1_100))
        .collect();
    assert!(
        !judged.is_empty() || trouble > 3,
        "a whole blip is heard: {heard:?} {:?}",
        rec.missed
    );
    for at in judged {
        let run = audio[at..].iter().take_while(|x| **x != 0.0).count();
        assert!(
            (990..=1_010).contains(&run),
            "a 1000-frame sample, heard {run} frames at {at} (missed {:?})\n{err}",
            rec.missed
        );
        let mid = &audio[at + 100..at + 900];
        let (lo, hi) = mid
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), x| (l.min(*x), h.max(*x)));
        assert!(lo > 0.005 && hi - lo < 0.001, "a steady level: {lo}..{hi}");
    }
    check_spacing(&after_connect, 48_000, trouble, 3, &err);
}

#[test]
fn the_repl_loads_the_samples_a_new_program_names_and_warns_once_about_unknown_ones() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (server, ear, blocks) = server_and_ear("audio-repl");
    let dir = std::env::temp_dir().join(format!("patter-repl-samples-{}", std::process::id()));
    let folder = dir.join("lib").join("blip");
    std::fs::create_dir_all(&folder).unwrap();
    write_block_wav(&folder.join("0.wav"), 1_000, 0.25);
    let mut child = Process::new(env!("CARGO_BIN_EXE_patter"))
        .args(["--out", "synth", "--history", "none", "--samples"])
        .arg(dir.join("lib"))
        .env("JACK_DEFAULT_SERVER", &server.name)
        .env("PATTER_SAMPLES", "")
        .env("HOME", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(
        &mut stdin,
        b"play d { s: \"blip ~ ~ ~\" }\nplay x { s: \"nosuch\" }\n",
    )
    .unwrap();
    connect_ear(ear.as_client(), "patter_out:out_0");
    // Keep the REPL's input open (it plays on) until a whole blip is heard.
    let mut audio = Vec::new();
    let whole_blip = |audio: &[f32]| {
        onsets(audio, 10_000).iter().any(|&at| {
            audio[at..].len() > 1_100 && audio[at..].iter().take_while(|x| **x != 0.0).count() > 900
        })
    };
    assert!(eventually(|| {
        while let Some((_, b)) = blocks.pop() {
            audio.extend_from_slice(&b);
        }
        whole_blip(&audio)
    }));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    drop(ear);
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("no sound called `nosuch`").count(), 1, "{err}");
}
