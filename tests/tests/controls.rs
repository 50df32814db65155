//! MIDI input in programs: scripted input logs give fixed event streams (insta snapshots)
//! for `cc` (with a glide), `held` with the pedal and `arp`, `switch`, `toggle` and the
//! `notes` trigger; with no input every control reads its default; and the same events
//! come out whether a piece is queried in one go or in small windows.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use patter_pattern::control::{with_input, ControlLog, Stamped};
use patter_pattern::Time;
use patter_tests::{event_table, events, playing_core, program, query_tiled};

/// A log from `(beat, bytes)` pairs, beats given as (numerator, denominator).
fn log(msgs: &[((i64, i64), [u8; 3])]) -> Arc<ControlLog> {
    Arc::new(ControlLog::from_messages(
        msgs.iter()
            .map(|((n, d), bytes)| Stamped {
                at: Time::new(*n, *d),
                bytes: *bytes,
            })
            .collect(),
    ))
}

/// The event table of `src` over `beats` beats with `input`.
fn table(src: &str, input: &Arc<ControlLog>, beats: i64) -> String {
    let p = program(src);
    let evs = with_input(input, || events(&p, Time::ZERO, Time::int(beats)));
    event_table(&p, &evs)
}

#[test]
fn with_no_input_every_control_reads_its_default() {
    let p = program(
        r#"
play k { midinote: held().arp(updown), dur: 1 }
play c { degree: cc(1, default: 0.5) * 8, amp: cc(7, smooth: 1).range(0.1, 0.2), dur: 1 }
play s { degree: switch(64).step([0, 5]), dur: 1 }
play n { degree: notes().count(quant: 0), dur: 1, start: switch(64), stop: toggle(20) }
"#,
    );
    let evs = events(&p, Time::ZERO, Time::int(4));
    insta::assert_snapshot!(event_table(&p, &evs));
}

/// CC 74 jumps to 127 at beat 1 and back to 0 at beat 3: the raw value follows at once,
/// the glide (time constant 1 beat) approaches it by 1 − e^(−t) and falls back the same way.
#[test]
fn cc_follows_the_knob_and_glides_with_smooth() {
    let input = log(&[((1, 1), [0xB0, 74, 127]), ((3, 1), [0xB0, 74, 0])]);
    let src = r#"
play raw { amp: cc(74), dur: 1/2 }
play glide { amp: cc(74, smooth: 1), dur: 1/2 }
play other_channel { amp: cc(74, channel: 2, default: 0.25), dur: 2 }
"#;
    insta::assert_snapshot!(table(src, &input, 6));
}

/// Keys 60, 64, 67 go down at beat 0 (67 on channel 2), 64 is released at beat 1 while
/// the pedal is up (it goes), 60 at beat 2 while the pedal is down (it stays until the
/// pedal lifts at beat 3). The arpeggiator plays the next note of `updown` per event.
#[test]
fn held_notes_feed_the_arpeggiator_and_the_pedal_holds_released_notes() {
    let input = log(&[
        ((0, 1), [0x90, 60, 100]),
        ((0, 1), [0x90, 64, 100]),
        ((0, 1), [0x91, 67, 100]),
        ((1, 1), [0x80, 64, 0]),
        ((3, 2), [0xB0, 64, 127]),
        ((2, 1), [0x90, 60, 0]),
        ((3, 1), [0xB0, 64, 0]),
    ]);
    let src = r#"
play arp { midinote: held().arp(updown), dur: 1/4 }
play chord { midinote: held(), dur: 1, octave: 3 }
play dry { midinote: held(channel: 1, pedal: false) + 12, dur: 1 }
"#;
    insta::assert_snapshot!(table(src, &input, 4));
}

/// The sustain pedal as a switch, and a latching button (CC 20) pressed at beats 1, 3
/// and 5 (released in between): the toggle is on from 1 to 3 and from 5; a player
/// started by the toggle and stopped by it again, at the next beat.
#[test]
fn switch_is_on_while_held_and_toggle_latches() {
    let input = log(&[
        ((1, 2), [0xB0, 64, 127]),
        ((5, 2), [0xB0, 64, 0]),
        ((1, 1), [0xB0, 20, 127]),
        ((2, 1), [0xB0, 20, 0]),
        ((3, 1), [0xB0, 20, 100]),
        ((4, 1), [0xB0, 20, 0]),
        ((5, 1), [0xB0, 20, 127]),
    ]);
    let src = r#"
play pedal { degree: switch(64) * 7, dur: 1 }
play latch { degree: toggle(20) * 2, dur: 1, octave: 6 }
play gated { degree: 4, dur: 1/2, octave: 4, start: toggle(20), stop: toggle(20), quant: 1 }
"#;
    insta::assert_snapshot!(table(src, &input, 7));
}

/// Pads on notes 36–39 step through a list at the next bar; other notes do nothing.
#[test]
fn the_notes_trigger_steps_at_its_quant() {
    let input = log(&[
        ((1, 1), [0x99, 36, 100]),
        ((3, 2), [0x89, 36, 0]),
        ((5, 1), [0x90, 60, 100]),
        ((6, 1), [0x99, 38, 100]),
        ((13, 2), [0x99, 39, 100]),
    ]);
    let src = r#"
play pads { degree: notes(lo: 36, hi: 39).step([0, 2, 4, 6], quant: 4), dur: 2 }
play now { degree: notes(channel: 10).count(quant: 0), dur: 1, octave: 6 }
play any { degree: notes().count(quant: 0), dur: 1, octave: 4 }
"#;
    insta::assert_snapshot!(table(src, &input, 12));
}

/// Events are the same whether asked for in one go or in uneven small windows, and
/// with the trigger checkpoints of another input left over.
#[test]
fn controls_are_positional_whatever_the_windows() {
    let input = log(&[
        ((1, 3), [0x90, 60, 100]),
        ((1, 1), [0xB0, 1, 90]),
        ((7, 3), [0x90, 62, 100]),
        ((3, 1), [0xB0, 64, 127]),
        ((4, 1), [0x80, 60, 0]),
        ((9, 2), [0xB0, 64, 0]),
        ((5, 1), [0x90, 64, 100]),
    ]);
    let p = program(
        r#"
play a { midinote: held().arp(up), dur: 1/4, amp: cc(1, smooth: 1/2) }
play b { degree: notes().chance(0.5).step([0, 1, 2, 3], quant: 0), dur: 1/3 }
play c { degree: notes().count(quant: 1), dur: 1/2, start: switch(64), stop: switch(64) }
"#,
    );
    let end = Time::int(8);
    let whole = with_input(&input, || events(&p, Time::ZERO, end));
    let cuts: Vec<Time> = (1..40).map(|i| Time::new(i * i % 37, 5)).collect();
    let mut sorted = cuts.clone();
    sorted.sort();
    // Leftover checkpoints from a run with different input must not leak in.
    let other = log(&[((1, 2), [0x90, 50, 1])]);
    let _ = with_input(&other, || events(&p, Time::ZERO, end));
    let tiled = with_input(&input, || query_tiled(&p, &sorted, end));
    assert_eq!(
        patter_tests::canonical(whole.clone()),
        patter_tests::canonical(tiled)
    );
    assert!(whole.len() > 40);
}

/// A message arriving before the frontier takes effect at the frontier, so the events
/// already produced stay as they were; stamps never go back.
#[test]
fn input_takes_effect_at_the_frontier_never_before() {
    let p = program("play a { amp: cc(1), dur: 1 }");
    let mut core = playing_core(&p);
    let mut out = Vec::new();
    core.advance(Time::int(2), &mut out, &mut Vec::new());
    assert_eq!(
        core.push_input(Time::new(1, 2), [0xB0, 1, 127]),
        Time::int(2)
    );
    assert_eq!(core.push_input(Time::int(3), [0xB0, 1, 0]), Time::int(3));
    // A late arrival cannot go before the message already stamped.
    assert_eq!(core.push_input(Time::int(1), [0xB0, 1, 127]), Time::int(3));
    core.advance(Time::int(5), &mut out, &mut Vec::new());
    let amps: Vec<f64> = out
        .iter()
        .map(|s| s.event.get("amp").and_then(|v| v.as_num()).unwrap())
        .collect();
    assert_eq!(amps, [0.0, 0.0, 1.0, 1.0, 1.0]);
    // The recorded log replays to the same events.
    let log = core.input().clone();
    let replay = with_input(&log, || events(&p, Time::ZERO, Time::int(5)));
    let replayed: Vec<f64> = replay
        .iter()
        .map(|e| e.get("amp").and_then(|v| v.as_num()).unwrap())
        .collect();
    assert_eq!(replayed, amps);
}

/// The engine live: MIDI pushed into `Engine::input` while playing changes what plays,
/// shows in `recent_input` and the metrics, and the recorded log renders offline to the
/// very events the sink received.
#[test]
fn live_input_is_recorded_and_the_render_of_the_recording_equals_the_live_stream() {
    use patter_runtime::input::MidiIn;
    use patter_runtime::sink::collect::CollectSink;
    use patter_runtime::{Command, Engine};
    use std::time::{Duration, Instant};

    /// Poll published state until `cond` holds (at most 5 s).
    fn until(cond: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        cond()
    }

    let src = r#"
play keys { midinote: held().arp(up), dur: 1/4, amp: cc(7, default: 0.5, smooth: 1/2) }
play pads { degree: notes(lo: 36, hi: 51).count(quant: 0), dur: 1/2, octave: 3 }
play pedal { degree: 9, dur: 1, start: switch(64), stop: switch(64), quant: 1 }
"#;
    let p = program(src);
    let mut e = patter_tests::quick_engine(600.0);
    let (sink, got, _) = CollectSink::new("collect");
    e.send(Command::AddSink(Box::new(sink)));
    let recording = e.record_input();
    patter_tests::play(&e, p.clone(), None);
    let input = e.input();
    let origin = e.origin();
    let push = |bytes: &[u8]| {
        let at = origin.elapsed().as_secs_f64();
        assert!(input.push(MidiIn::from_bytes(at, 3, bytes).unwrap()));
    };
    let beat = |e: &Engine| e.transport().beat;
    let script: [&[u8]; 7] = [
        &[0x90, 60, 100],
        &[0x90, 67, 90],
        &[0xB0, 7, 127],
        &[0x99, 38, 100],
        &[0xB0, 64, 127],
        &[0x80, 60, 0],
        &[0xB0, 64, 0],
    ];
    assert!(until(|| beat(&e) > 1.0), "the transport does not move");
    for (i, bytes) in script.iter().enumerate() {
        let b = beat(&e);
        push(bytes);
        assert!(until(|| e.recent_input().len() > i));
        // Let a beat or so play between messages.
        assert!(until(|| beat(&e) > b + 1.0));
    }
    let end = beat(&e) + 1.0;
    assert!(until(|| beat(&e) > end));
    let recent = e.recent_input();
    let metrics = e.metrics();
    e.shutdown();

    assert_eq!(recent.len(), script.len());
    let first = recent.first().unwrap();
    assert_eq!(
        (first.port, first.kind, first.number, first.value),
        (3, 0x90, 60, 100)
    );
    assert_eq!(recent.get(3).map(|r| r.channel), Some(9));
    assert!(recent.windows(2).all(|w| w[0].beat <= w[1].beat));
    assert_eq!((metrics.input_received, metrics.input_dropped), (7, 0));

    let stamped: Vec<Stamped> = recording.try_iter().collect();
    assert_eq!(stamped.len(), script.len());
    assert_eq!(
        stamped.iter().map(|m| m.at).collect::<Vec<_>>(),
        recent.iter().map(|r| r.beat).collect::<Vec<_>>()
    );
    let live: Vec<_> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(ev, _)| ev.clone())
        .collect();
    let last = live.last().unwrap().beat;
    let log = Arc::new(ControlLog::from_messages(stamped));
    let rendered = with_input(&log, || {
        patter_runtime::render::events(&p, Time::ZERO, last + Time::new(1, 1000)).unwrap()
    });
    let key = |e: &patter_pattern::Event| (e.beat, format!("{:?}", e.params));
    let mut a: Vec<_> = live.iter().map(key).collect();
    let mut b: Vec<_> = rendered.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The input was heard: the held notes, the pad count and the pedal's player.
    let has = |k: &str, x: f64| {
        live.iter()
            .any(|e| e.get(k).and_then(|v| v.as_num()) == Some(x))
    };
    assert!(has("midinote", 60.0) && has("midinote", 67.0));
    assert!(has("degree", 1.0) && has("degree", 9.0));
}

/// An integrator of a knob, counted live while the input grows (the cached integrator
/// states before each new message stay, those after it are recomputed), equals a fresh
/// render of the final log.
#[test]
fn an_integrated_knob_live_equals_its_replay() {
    use patter_pattern::trigger::forget_checkpoints;

    let p = program(
        r#"
let swell = integrate(cc(1), threshold: 1, leak: 0.5)
play a { degree: swell.count(quant: 0), dur: 1/2, amp: cc(1, smooth: 1) }
play b { degree: swell.chance(0.5).count(quant: 1), dur: 1, start: press(2) }
"#,
    );
    let mut core = playing_core(&p);
    let mut live = Vec::new();
    let script: [(i64, [u8; 3]); 6] = [
        (3, [0xB0, 1, 127]),
        (5, [0xB0, 2, 127]),
        (9, [0xB0, 1, 30]),
        (10, [0xB0, 2, 0]),
        (14, [0xB0, 1, 127]),
        (15, [0xB0, 2, 90]),
    ];
    let mut t = Time::ZERO;
    for (beat, bytes) in script {
        core.advance(Time::new(beat * 3 - 1, 3), &mut live, &mut Vec::new());
        core.push_input(Time::int(beat), bytes);
        t = Time::int(beat);
    }
    core.advance(t + Time::int(8), &mut live, &mut Vec::new());
    let log = core.input().clone();
    forget_checkpoints();
    let replay = with_input(&log, || events(&p, Time::ZERO, t + Time::int(8)));
    let key = |e: &patter_pattern::Event| (e.beat, e.player, format!("{:?}", e.params));
    let mut a: Vec<_> = live.iter().map(|s| key(&s.event)).collect();
    let mut b: Vec<_> = replay.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let top = replay
        .iter()
        .filter_map(|e| e.get("degree").and_then(|v| v.as_num()))
        .fold(0.0, f64::max);
    assert!(top >= 4.0, "the integrator hardly fired: {top}");
}

/// After a seek back (a loop, a stop), the knobs and keys keep their state and new input
/// takes effect from the new position, not after the old frontier.
#[test]
fn a_seek_back_keeps_the_input_state_and_takes_new_input_at_once() {
    let p = program("play a { midinote: held(), amp: cc(1), dur: 1 }");
    let mut core = playing_core(&p);
    let mut out = Vec::new();
    core.advance(Time::int(8), &mut out, &mut Vec::new());
    core.push_input(Time::int(7), [0x90, 60, 100]);
    core.seek(Time::ZERO);
    assert_eq!(core.push_input(Time::int(1), [0xB0, 1, 127]), Time::int(1));
    out.clear();
    core.advance(Time::int(3), &mut out, &mut Vec::new());
    let got: Vec<(Time, f64)> = out
        .iter()
        .map(|s| {
            (
                s.event.beat,
                s.event.get("amp").and_then(|v| v.as_num()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(Time::ZERO, 0.0), (Time::ONE, 1.0), (Time::int(2), 1.0)]
    );
    assert!(out
        .iter()
        .all(|s| s.event.get("midinote").and_then(|v| v.as_num()) == Some(60.0)));
}

/// A structure that follows the pedal (`mask(switch(64))`): the pedal going down in the
/// middle of a cycle opens the rest of that cycle, live as in the replay.
#[test]
fn a_structure_masked_by_the_pedal_follows_it_within_a_cycle() {
    let p = program(r#"play hats { s: "hh*8".mask(switch(64)), n: seq([0, 1, 2]) }"#);
    let mut core = playing_core(&p);
    let mut live = Vec::new();
    let mut t = Time::ZERO;
    for (beat, v) in [(5, 127), (7, 0), (10, 100), (13, 0)] {
        while t < Time::int(beat) {
            t += Time::new(1, 8);
            core.advance(t, &mut live, &mut Vec::new());
        }
        core.push_input(t, [0xB0, 64, v]);
    }
    core.advance(Time::int(16), &mut live, &mut Vec::new());
    let beats: Vec<Time> = live.iter().map(|s| s.event.beat).collect();
    let expect: Vec<Time> = [
        (10, 2),
        (11, 2),
        (12, 2),
        (13, 2),
        (20, 2),
        (21, 2),
        (22, 2),
        (23, 2),
        (24, 2),
        (25, 2),
    ]
    .iter()
    .map(|(n, d)| Time::new(*n, *d))
    .collect();
    assert_eq!(beats, expect);
    let log = core.input().clone();
    let replay = with_input(&log, || events(&p, Time::ZERO, Time::int(16)));
    let key = |e: &patter_pattern::Event| (e.beat, format!("{:?}", e.params));
    assert_eq!(
        live.iter().map(|s| key(&s.event)).collect::<Vec<_>>(),
        replay.iter().map(key).collect::<Vec<_>>()
    );
}
