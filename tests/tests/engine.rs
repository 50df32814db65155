//! The engine live: events reach sinks exactly as the offline core produces them, in time
//! order, with onsets that follow the tempo clock; stop and shutdown release notes; live
//! SMF recording equals the offline render. Assertions are on content, not on how fast
//! this machine is (no timing thresholds).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use patter_pattern::Time;
use patter_runtime::scheduler::{LoadMode, Phase};
use patter_runtime::sink::collect::CollectSink;
use patter_runtime::sink::smf::SmfRecorder;
use patter_runtime::{Command, Engine};
use patter_tests::{compile, playing_core};

use patter_tests::quick_engine as engine;

/// Wait (at most 2 s) for the engine's published state to satisfy `cond`: its scheduler
/// thread publishes within a tick, but a loaded machine may delay it.
fn eventually(
    e: &Engine,
    cond: impl Fn(&patter_runtime::TransportState) -> bool,
) -> patter_runtime::TransportState {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let t = e.transport();
        if cond(&t) || std::time::Instant::now() > deadline {
            return t;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn load(e: &Engine, src: &str) {
    let p = compile(src).program.unwrap();
    assert!(e.send(Command::Load {
        program: Box::new(p),
        mode: LoadMode::Replace,
        quant: None,
        phase: Phase::Continue,
        tempo: None
    }));
}

#[test]
fn live_events_equal_the_offline_core_and_follow_the_clock() {
    let src = "play a { degree: seq([0, 2, 4]), dur: 0.25 }\nplay b { s: \"bd*2 [~ sn]\" }";
    let mut e = engine(600.0);
    let (sink, events, _) = CollectSink::new("collect");
    e.send(Command::AddSink(Box::new(sink)));
    load(&e, src);
    e.send(Command::Play);
    std::thread::sleep(Duration::from_millis(600));
    e.shutdown();
    let got = events.lock().unwrap().clone();
    assert!(
        got.len() > 8,
        "only {} events in 0.6 s at 600 BPM",
        got.len()
    );

    // Same events as the pure core up to the last beat received.
    patter_tests::assert_offline_core_agrees(&compile(src).program.unwrap(), &got);

    // Onsets follow the clock: 600 BPM is 0.1 s per beat.
    for w in got.windows(2) {
        let (a, ta) = (&w[0].0, w[0].1);
        let (b, tb) = (&w[1].0, w[1].1);
        let expect = (b.beat - a.beat).to_f64() * 0.1;
        assert!(
            ((tb.onset - ta.onset) - expect).abs() < 1e-9,
            "{} → {}",
            a.beat,
            b.beat
        );
    }
}

#[test]
fn stop_pause_and_shutdown_release_everything() {
    let mut e = engine(240.0);
    let (sink, _events, releases) = CollectSink::new("collect");
    e.send(Command::AddSink(Box::new(sink)));
    load(&e, "play a { note: \"0*4\" }");
    e.send(Command::Play);
    std::thread::sleep(Duration::from_millis(100));
    e.send(Command::Pause);
    assert!(!eventually(&e, |t| !t.running).running);
    e.send(Command::Play);
    e.send(Command::StopTransport);
    e.send(Command::Panic);
    e.shutdown();
    assert!(
        releases.load(Ordering::SeqCst) >= 3,
        "pause, stop and shutdown each release notes"
    );
}

#[test]
fn transport_snapshot_reports_position_tempo_and_players() {
    let mut e = engine(300.0);
    load(&e, "play a { note: \"0\" }\nplay b { note: \"1\" }");
    e.send(Command::Seek(Time::int(8)));
    e.send(Command::Play);
    let t = eventually(&e, |t| t.running && t.players.len() == 2);
    assert!(t.running);
    assert!(t.beat >= 8.0, "{t:?}");
    assert_eq!(t.tempo, 300.0);
    assert_eq!(t.players, vec!["a".to_string(), "b".to_string()]);
    e.send(Command::Tempo {
        bpm: 150.0,
        ramp: None,
    });
    // The change lands on the first beat not yet scheduled, about one look-ahead from now.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while e.transport().tempo != 150.0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(e.transport().tempo, 150.0);
    e.shutdown();
}

#[test]
fn live_smf_recording_equals_the_offline_render() {
    let src = "tempo 480\nplay a { degree: seq([0, 2, 4, 5]), dur: 0.5, velocity: 90 }\nplay d { s: \"bd [~ sn]\" }";
    let program = compile(src).program.unwrap();
    let dir = std::env::temp_dir().join(format!("patter-smf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let live_path = dir.join("live.mid");
    let mut rec = SmfRecorder::new(&live_path, program.tempo);
    rec.set_players(program.players.iter().map(|p| p.name.to_string()).collect());

    // Record through the scheduler core exactly as the engine feeds sinks.
    let mut core = playing_core(&program);
    let clock = patter_runtime::TempoClock::new(program.tempo);
    let mut t = Time::ZERO;
    while t < Time::int(16) {
        t = (t + Time::new(3, 7)).min(Time::int(16));
        let mut out = Vec::new();
        core.advance(t, &mut out, &mut Vec::new());
        for s in out {
            let times = patter_runtime::sink::EventTimes::of(&s.event, &clock, 0.0);
            patter_runtime::sink::Sink::schedule(&mut rec, &s.event, times);
        }
    }
    rec.end_at(Time::int(16));
    rec.write().unwrap();

    let msgs = patter_runtime::render::midi_messages(&program, Time::ZERO, Time::int(16)).unwrap();
    let names: Vec<&str> = program.players.iter().map(|p| &*p.name).collect();
    let mut offline = Vec::new();
    patter_runtime::smf::write(&msgs, program.tempo, &names, &mut offline).unwrap();
    assert_eq!(std::fs::read(&live_path).unwrap(), offline);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn players_route_to_named_outputs_and_report_their_cost() {
    let mut e = engine(600.0);
    let (a, a_events, _) = CollectSink::new("collect:a");
    let (b, b_events, _) = CollectSink::new("other");
    e.send(Command::AddSink(Box::new(a)));
    e.send(Command::AddSink(Box::new(b)));
    load(
        &e,
        "play x { note: \"0*4\", out: \"collect\" }\nplay y { note: \"1*4\" }",
    );
    e.send(Command::Play);
    std::thread::sleep(Duration::from_millis(500));
    let m = e.metrics();
    e.shutdown();
    let players = |v: &patter_runtime::sink::collect::Collected| {
        let mut names: Vec<u32> = v.lock().unwrap().iter().map(|(ev, _)| ev.player).collect();
        names.sort();
        names.dedup();
        names.len()
    };
    assert_eq!(players(&a_events), 2, "the named output gets both players");
    assert_eq!(
        players(&b_events),
        1,
        "the other output only gets the unrouted player"
    );
    let names: Vec<&str> = m.players.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["x", "y"]);
    assert!(
        m.players
            .iter()
            .all(|p| p.query_us.count > 0 && p.overruns == 0),
        "{:?}",
        m.players
    );
}

#[test]
fn looping_replays_the_range_seamlessly() {
    let mut e = engine(960.0);
    let (sink, events, _) = CollectSink::new("collect");
    e.send(Command::AddSink(Box::new(sink)));
    load(
        &e,
        "play a { degree: seq([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.5 }",
    );
    e.send(Command::Loop(Some((Time::int(1), Time::int(3)))));
    e.send(Command::Seek(Time::int(1)));
    e.send(Command::Play);
    std::thread::sleep(Duration::from_millis(700));
    let looping = e.transport().looping;
    e.shutdown();
    assert_eq!(looping, Some((1.0, 3.0)));
    let got = events.lock().unwrap().clone();
    assert!(got.len() >= 12, "{} events", got.len());
    // Beats 1, 1.5, 2, 2.5 again and again, each pass continuing the clock without a gap.
    let beats: Vec<Time> = got.iter().map(|(ev, _)| ev.beat).collect();
    for (i, b) in beats.iter().enumerate() {
        assert_eq!(*b, Time::int(1) + Time::new((i % 4) as i64, 2), "{beats:?}");
    }
    for w in got.windows(2) {
        let gap = w[1].1.onset - w[0].1.onset;
        assert!(
            (gap - 0.03125).abs() < 1e-9,
            "0.5 beat at 960 BPM is 31.25 ms: {gap}"
        );
    }
}

#[test]
fn scenes_built_by_closures_launch_at_the_next_bar() {
    let mut e = engine(960.0);
    let (sink, events, _) = CollectSink::new("collect");
    e.send(Command::AddSink(Box::new(sink)));
    e.register_scene("a", || {
        compile("play one { note: \"0*4\" }").program.unwrap()
    });
    e.register_scene("b", || {
        compile("play two { note: \"7*4\" }").program.unwrap()
    });
    assert_eq!(e.scene_names(), vec!["a", "b"]);
    assert!(!e.launch_scene("nope"));
    assert!(e.launch_scene("a"));
    e.send(Command::Play);
    std::thread::sleep(Duration::from_millis(400));
    assert!(e.launch_scene("b"));
    std::thread::sleep(Duration::from_millis(700));
    e.shutdown();
    let got = events.lock().unwrap().clone();
    let notes: Vec<(Time, f64)> = got
        .iter()
        .map(|(ev, _)| (ev.beat, ev.get("note").and_then(|v| v.as_num()).unwrap()))
        .collect();
    let switch = notes
        .iter()
        .position(|(_, n)| *n == 7.0)
        .unwrap_or_else(|| panic!("scene b played: {notes:?}"));
    let at = notes[switch].0;
    assert_eq!(at.den(), 1, "the switch lands on a bar line: {at}");
    assert_eq!(at.num() % 4, 0, "the switch lands on a bar line: {at}");
    assert!(notes[..switch].iter().all(|(_, n)| *n == 0.0));
    assert!(
        notes[switch..].iter().all(|(_, n)| *n == 7.0),
        "scene a's player stopped at the bar"
    );
}
