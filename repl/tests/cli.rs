//! The `patter events` contract, driven through the real binary.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Output};

fn patter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn jsonl_has_the_contract_fields() {
    let o = patter(&[
        "events",
        "-e",
        "play bass { degree: seq([0, 2]), dur: 0.5, legato: 0.5 }",
        "--beats",
        "1",
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["player"], "bass");
    assert_eq!(first["whole"], serde_json::json!(["0/1", "1/8"]));
    assert_eq!(first["beat"], "0/1");
    assert_eq!(first["dur"], "1/2");
    assert_eq!(first["sustain"], 0.25);
    assert_eq!(first["degree"], 0);
    assert_eq!(first["midinote"], 60);
    assert!((first["freq"].as_f64().unwrap() - 261.6255653005986).abs() < 1e-9);
    assert_eq!(lines[1]["beat"], "1/2");
    assert_eq!(lines[1]["midinote"], 64);
}

#[test]
fn ordered_by_onset_then_player_and_chords_expand() {
    let src = "play z { note: \"0 1\" }\nplay a { note: \"[0,4] 7\" }";
    let o = patter(&["events", "-e", src, "--format", "jsonl"]);
    let lines = jsonl(&o);
    let got: Vec<(String, String, i64)> = lines
        .iter()
        .map(|l| {
            (
                l["beat"].as_str().unwrap().to_string(),
                l["player"].as_str().unwrap().to_string(),
                l["note"].as_i64().unwrap(),
            )
        })
        .collect();
    let expect = vec![
        ("0/1".to_string(), "a".to_string(), 0),
        ("0/1".to_string(), "a".to_string(), 4),
        ("0/1".to_string(), "z".to_string(), 0),
        ("2/1".to_string(), "a".to_string(), 7),
        ("2/1".to_string(), "z".to_string(), 1),
    ];
    assert_eq!(got, expect);
}

#[test]
fn count_cycles_beats_from_and_player() {
    let src = "play a { s: \"bd*4\" }\nplay b { s: \"hh*8\" }";
    let count = |extra: &[&str]| {
        let mut args = vec!["events", "-e", src, "--format", "count"];
        args.extend_from_slice(extra);
        let o = patter(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().parse::<u64>().unwrap()
    };
    assert_eq!(count(&[]), 12);
    assert_eq!(count(&["--cycles", "3"]), 36);
    assert_eq!(count(&["--beats", "2"]), 6);
    assert_eq!(count(&["--beats", "2", "--from", "3"]), 6);
    assert_eq!(count(&["--cycles", "2", "--player", "b"]), 16);
}

#[test]
fn seed_flag_is_deterministic_and_matters() {
    let src = "play a { degree: rand([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.25 }";
    let run = |seed: &str| {
        stdout(&patter(&[
            "events", "-e", src, "--seed", seed, "--format", "jsonl", "--cycles", "4",
        ]))
    };
    assert_eq!(run("3"), run("3"));
    assert_ne!(run("3"), run("4"));
}

#[test]
fn files_and_imports() {
    let dir = std::env::temp_dir().join(format!("patter-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.pat"), "let riff = seq([0, 4, 7])\n").unwrap();
    std::fs::write(
        dir.join("main.pat"),
        "import \"lib.pat\"\nplay a { degree: riff, dur: 1 }\n",
    )
    .unwrap();
    let o = patter(&[
        "events",
        dir.join("main.pat").to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let degrees: Vec<i64> = jsonl(&o)
        .iter()
        .map(|l| l["degree"].as_i64().unwrap())
        .collect();
    assert_eq!(degrees, vec![0, 4, 7, 0]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn errors_are_diagnostics_on_stderr_with_failure() {
    let o = patter(&["events", "-e", "play a { degree: nope }"]);
    assert!(!o.status.success());
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(err.contains("E0301"), "{err}");
    assert!(err.contains("nope"), "{err}");
    let o = patter(&["events", "/nonexistent/file.pat"]);
    assert!(!o.status.success());
    let o = patter(&["events", "-e", "play a { s: \"bd\" }", "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn render_midi_matches_the_events_and_is_deterministic() {
    let dir = std::env::temp_dir().join(format!("patter-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("p.pat");
    std::fs::write(&src, "tempo 90\nplay a { degree: seq([0, 2, 4]), dur: 0.5, velocity: 100 }\nplay d { s: \"bd sn\" }\n").unwrap();
    let out1 = dir.join("a.mid");
    let out2 = dir.join("b.mid");
    for out in [&out1, &out2] {
        let o = patter(&[
            "render",
            src.to_str().unwrap(),
            "--bars",
            "2",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let bytes = std::fs::read(&out1).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&out2).unwrap(),
        "renders must be byte-identical"
    );
    let smf = midly::Smf::parse(&bytes).unwrap();
    assert_eq!(smf.tracks.len(), 3);
    let tempo = smf.tracks[0].iter().find_map(|e| match e.kind {
        midly::TrackEventKind::Meta(midly::MetaMessage::Tempo(t)) => Some(t.as_int()),
        _ => None,
    });
    assert_eq!(tempo, Some(666_667));
    let notes = |track: usize| -> Vec<(u64, u8, u8)> {
        let mut t = 0u64;
        let mut v = Vec::new();
        for e in &smf.tracks[track] {
            t += e.delta.as_int() as u64;
            if let midly::TrackEventKind::Midi {
                channel,
                message: midly::MidiMessage::NoteOn { key, .. },
            } = e.kind
            {
                v.push((t, channel.as_int(), key.as_int()));
            }
        }
        v
    };
    let a = notes(1);
    assert_eq!(a.len(), 16);
    assert_eq!(&a[..3], &[(0, 0, 60), (3360, 0, 64), (6720, 0, 67)]);
    let d = notes(2);
    assert_eq!(
        d,
        vec![(0, 9, 36), (13440, 9, 38), (26880, 9, 36), (40320, 9, 38)]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn play_stops_cleanly_on_ctrl_c_and_reports_its_sink() {
    let dir = std::env::temp_dir().join(format!("patter-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("p.pat");
    std::fs::write(&src, "tempo 240\nplay a { note: \"0*8\" }\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["play", src.to_str().unwrap(), "--out", "null"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit: {:?}", out.status);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("null:") && err.contains("sent"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn play_explains_a_missing_device() {
    let o = patter(&[
        "play",
        "/dev/null",
        "--out",
        "bogus:thing",
        "--seconds",
        "1",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Outputs:"), "{}", stderr(&o));
}

#[test]
fn render_wav_is_deterministic_and_sample_exact() {
    let dir = std::env::temp_dir().join(format!("patter-wav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("d.pat");
    // 120 BPM: a beat is 24 000 frames at 48 kHz; kicks on beats 0 and 2 of the bar.
    std::fs::write(&src, "tempo 120\nplay d { s: \"bd ~ bd ~\" }\n").unwrap();
    let (a, b) = (dir.join("a.wav"), dir.join("b.wav"));
    for out in [&a, &b] {
        let o = patter(&[
            "render",
            src.to_str().unwrap(),
            "--bars",
            "1",
            "-o",
            out.to_str().unwrap(),
            "--bits",
            "32",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&b).unwrap(),
        "renders must be byte-identical"
    );
    let mut reader = hound::WavReader::open(&a).unwrap();
    assert_eq!(reader.spec().sample_rate, 48_000);
    assert_eq!(reader.spec().channels, 2);
    let left: Vec<f32> = reader
        .samples::<f32>()
        .step_by(2)
        .map(|s| s.unwrap())
        .collect();
    let sounding = |from: usize, to: usize| {
        left[from..to]
            .iter()
            .position(|x| *x != 0.0)
            .map(|i| i + from)
    };
    assert_eq!(
        sounding(0, 1000),
        Some(0),
        "the first kick starts on frame 0"
    );
    // The kick lasts 0.5 s; the second starts exactly on beat 2 = frame 48 000.
    assert_eq!(sounding(30_000, 60_000), Some(48_000));
    assert!(left.iter().all(|x| x.abs() <= 1.0));
    std::fs::remove_dir_all(&dir).ok();
}

fn read_left(path: &std::path::Path) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).unwrap();
    r.samples::<f32>().step_by(2).map(|s| s.unwrap()).collect()
}

#[test]
fn render_plays_samples_from_a_folder_and_warns_once_per_unknown_name() {
    let dir = std::env::temp_dir().join(format!("patter-samples-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let kit = dir.join("kit").join("bd");
    std::fs::create_dir_all(&kit).unwrap();
    for (name, v) in [("a.wav", 0.25f32), ("b.wav", 0.5)] {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(kit.join(name), spec).unwrap();
        for _ in 0..10 {
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
    }
    let src = dir.join("s.pat");
    // Beat = 24 000 frames. `bd:1` is the second file; `nope` is unknown (three times).
    std::fs::write(
        &src,
        "tempo 120\nplay d { s: \"bd:1 nope nope nope\", amp: 1, pan: -1 }\n",
    )
    .unwrap();
    let out = dir.join("s.wav");
    let o = patter(&[
        "render",
        src.to_str().unwrap(),
        "--bars",
        "1",
        "--samples",
        dir.join("missing-root").to_str().unwrap(),
        "--samples",
        dir.join("kit").to_str().unwrap(),
        "--bits",
        "32",
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.matches("no sound called `nope`").count(), 1, "{err}");
    assert!(err.contains("3 events were skipped"), "{err}");
    assert!(
        err.contains("missing-root"),
        "an unreadable sample root is reported: {err}"
    );
    let left = read_left(&out);
    assert_eq!(&left[..10], &[0.5; 10]);
    assert!(left[10..].iter().all(|&x| x == 0.0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn render_stems_writes_one_file_per_player() {
    let dir = std::env::temp_dir().join(format!("patter-stems-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("p.pat");
    std::fs::write(
        &src,
        "tempo 120\nplay drums { s: \"bd ~ ~ ~\" }\nplay hats { s: \"~ hh ~ hh\" }\n",
    )
    .unwrap();
    let stems = dir.join("stems");
    let mix = dir.join("mix.wav");
    let o = patter(&[
        "render",
        src.to_str().unwrap(),
        "--bars",
        "1",
        "--bits",
        "32",
        "--stems",
        stems.to_str().unwrap(),
        "-o",
        mix.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let drums = read_left(&stems.join("drums.wav"));
    let hats = read_left(&stems.join("hats.wav"));
    let first = |v: &[f32]| v.iter().position(|&x| x != 0.0);
    assert_eq!(first(&drums), Some(0));
    // The first hat is on beat 1 = frame 24 000; the drum stem has no hats.
    assert_eq!(first(&hats), Some(24_000));
    assert!(drums[24_000..30_000].iter().all(|&x| x == 0.0));
    // Quiet enough that no limiter engages: the stems add up to the mix.
    let m = read_left(&mix);
    assert_eq!(m.len(), drums.len());
    for i in (0..m.len()).step_by(97) {
        assert!((m[i] - drums[i] - hats[i]).abs() < 1e-6, "frame {i}");
    }
    // Stems alone, without -o.
    let only = dir.join("only");
    let o = patter(&[
        "render",
        src.to_str().unwrap(),
        "--beats",
        "2",
        "--stems",
        only.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(only.join("drums.wav").exists() && only.join("hats.wav").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn play_without_an_audio_device_says_what_was_tried_in_one_paragraph() {
    let dir = std::env::temp_dir().join(format!("patter-nodev-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("beat.pat");
    std::fs::write(&src, "play d { s: \"bd sn\" }\n").unwrap();
    // No JACK server has this name, and ALSA gets no configuration (so even a machine with
    // a sound card has no `default` device): the synth, the default output, has nowhere
    // to play.
    let o = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args(["play", src.to_str().unwrap(), "--seconds", "1"])
        .env(
            "JACK_DEFAULT_SERVER",
            format!("patter-no-such-server-{}", std::process::id()),
        )
        .env("JACK_NO_START_SERVER", "1")
        .env("ALSA_CONFIG_PATH", dir.join("no-alsa.conf"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert_eq!(o.status.code(), Some(1));
    let text = err.trim_end();
    assert!(!text.contains('\n'), "one paragraph: {err}");
    assert!(!text.contains("panicked"), "{err}");
    for needle in [
        "no audio device",
        "JACK (no JACK server called `patter-no-such-server",
        "ALSA default (",
        "jackd -r -d dummy -r 48000 -p 256 &",
        "patter render ",
        "--bars 8 -o out.wav",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn render_seconds_gives_an_exact_length_and_mono_is_the_mean_of_stereo() {
    let dir = std::env::temp_dir().join(format!("patter-mono-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("d.pat");
    std::fs::write(&src, "tempo 120\nplay d { s: \"bd sn\", pan: -0.5 }\n").unwrap();
    let (mono, stereo) = (dir.join("m.wav"), dir.join("s.wav"));
    for (out, ch) in [(&mono, "1"), (&stereo, "2")] {
        let o = patter(&[
            "render",
            src.to_str().unwrap(),
            "--seconds",
            "1.5",
            "--channels",
            ch,
            "--bits",
            "32",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(!stderr(&o).contains('\r'), "no progress bar off a terminal");
    }
    let read = |p: &std::path::Path| {
        let mut r = hound::WavReader::open(p).unwrap();
        let spec = r.spec();
        let s: Vec<f32> = r.samples::<f32>().map(|s| s.unwrap()).collect();
        (spec, s)
    };
    let (ms, m) = read(&mono);
    let (ss, s) = read(&stereo);
    assert_eq!((ms.channels, ss.channels), (1, 2));
    assert_eq!(m.len(), 72_000, "1.5 s at 48 kHz, no tail");
    assert_eq!(s.len(), 2 * 72_000);
    for (i, x) in m.iter().enumerate() {
        assert_eq!(*x, 0.5 * (s[2 * i] + s[2 * i + 1]), "frame {i}");
    }
    // A step is two beats (one second): the kick (0.5 s) on frame 0, the snare on 48 000.
    assert_ne!(m[0], 0.0);
    assert!(m[24_000..48_000].iter().all(|x| *x == 0.0));
    assert_ne!(m[48_000], 0.0);
    // Panned left: the left side is louder.
    let energy = |off: usize| s.iter().skip(off).step_by(2).map(|x| x * x).sum::<f32>();
    assert!(energy(0) > 2.0 * energy(1));
    let bad = patter(&[
        "render",
        src.to_str().unwrap(),
        "--seconds",
        "1",
        "--channels",
        "3",
        "-o",
        "x.wav",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--channels takes 1 (mono) or 2"),
        "{}",
        stderr(&bad)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn long_renders_show_a_progress_bar_only_on_a_terminal() {
    let dir = std::env::temp_dir().join(format!("patter-bar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("d.pat");
    std::fs::write(&src, "play d { s: \"bd sn\" }\n").unwrap();
    let wav = dir.join("out.wav");
    let cmd = format!(
        "{} render {} --seconds 40 --rate 8000 -o {}",
        env!("CARGO_BIN_EXE_patter"),
        src.display(),
        wav.display()
    );
    // `script` (util-linux, in every Debian) runs the command on a pseudo-terminal.
    let tty = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&tty.stdout).to_string();
    assert!(tty.status.success(), "{shown}");
    assert!(
        shown.contains("\rrendering [") && shown.contains("100%"),
        "{shown:?}"
    );
    assert!(shown.contains("patter: wrote"), "{shown:?}");
    let piped = patter(&[
        "render",
        src.to_str().unwrap(),
        "--seconds",
        "40",
        "--rate",
        "8000",
        "-o",
        wav.to_str().unwrap(),
    ]);
    assert!(piped.status.success());
    let err = stderr(&piped);
    assert!(
        !err.contains('\r') && !err.contains("rendering ["),
        "{err:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_synth_plays_on_a_named_alsa_device() {
    // ALSA's `null` device exists wherever alsa-lib does; it is never chosen unless named.
    let dir = std::env::temp_dir().join(format!("patter-alsanull-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("beat.pat");
    std::fs::write(&src, "tempo 240\nplay d { s: \"bd*4\" }\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_patter"))
        .args([
            "play",
            src.to_str().unwrap(),
            "--out",
            "synth:alsa:null",
            "--seconds",
            "1",
        ])
        .env("JACK_DEFAULT_SERVER", "patter-no-such-server")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("on synth:alsa:null ("), "{err}");
    let sent: u64 = err
        .split("synth:alsa:null: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(sent > 0, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn from_a_scene_name_seeks_the_arrangement() {
    let src = "scene intro { play p { s: \"bd\" } }\nscene verse { play v { s: \"sn*2\" } }\narrange intro 2, verse 1";
    let o = patter(&["events", "-e", src, "--from", "verse", "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["player"], "verse.v");
    assert_eq!(lines[0]["beat"], "8/1");
    let o = patter(&["events", "-e", src, "--from", "bridge"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("scenes: intro, verse"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_subcommand_answers_help_with_the_usage() {
    for cmd in ["events", "render", "play", "serve", "send", "shm-dump"] {
        for flag in ["--help", "-h"] {
            let o = patter(&[cmd, flag]);
            assert!(o.status.success(), "patter {cmd} {flag}: {}", stderr(&o));
            assert!(stdout(&o).contains("usage:"), "patter {cmd} {flag}");
        }
    }
}
