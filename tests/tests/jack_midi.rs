//! The JACK MIDI sink against a real JACK dummy server: every note arrives, in order, each
//! note-off after its note-on, placed inside the cycle (not all at frame 0), and stopping
//! releases every sounding note. Precise jitter figures come from the timing harness
//! (`cargo run --release -p patter-tests --bin jack_timing`), not from this test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use patter_runtime::sink::jack_midi::JackMidiSink;
use patter_runtime::sink::SinkMetrics;
use patter_runtime::{Command, Engine, EngineConfig};
use patter_tests::compile;
use patter_tests::jackd::JackServer;
use patter_tests::listen::{realtime_server, use_server};

/// The JACK server is chosen through a process-wide environment variable, so the tests of
/// this file take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Recorder {
    input: jack::Port<jack::MidiIn>,
    seen: Arc<ArrayQueue<(u64, [u8; 3])>>,
}

impl jack::ProcessHandler for Recorder {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let base = ps.last_frame_time() as u64;
        for m in self.input.iter(ps) {
            let mut b = [0u8; 3];
            for (d, s) in b.iter_mut().zip(m.bytes) {
                *d = *s;
            }
            let _ = self.seen.push((base + m.time as u64, b));
        }
        jack::Control::Continue
    }
}

type Seen = Arc<ArrayQueue<(u64, [u8; 3])>>;

/// A JACK client `name` with a MIDI input `in` that records (absolute frame, bytes).
fn recorder(name: &str) -> (jack::AsyncClient<(), Recorder>, Seen) {
    let (client, _) = jack::Client::new(name, jack::ClientOptions::NO_START_SERVER).unwrap();
    let input = client.register_port("in", jack::MidiIn::default()).unwrap();
    let seen: Seen = Arc::new(ArrayQueue::new(100_000));
    let rec = client
        .activate_async(
            (),
            Recorder {
                input,
                seen: seen.clone(),
            },
        )
        .unwrap();
    (rec, seen)
}

/// Everything recorded so far.
fn drain(seen: &Seen) -> Vec<(u64, [u8; 3])> {
    std::iter::from_fn(|| seen.pop()).collect()
}

/// A playing engine whose JACK MIDI sink `patter{tag}` sends MIDI clock at 240 BPM (24
/// ticks a beat: 500 frames apart at 48 kHz) into a recorder `{tag}rec`.
fn clock_into_recorder(tag: &str) -> (Engine, jack::AsyncClient<(), Recorder>, Seen) {
    let rec_name = format!("{tag}rec");
    let (rec, seen) = recorder(&rec_name);
    let engine = Engine::start(EngineConfig::default());
    let mut sink =
        JackMidiSink::start(&format!("patter{tag}"), "midi_out", engine.origin()).unwrap();
    sink.set_clock_out(true);
    sink.connect_to(&format!("{rec_name}:in")).unwrap();
    engine.send(Command::AddSink(Box::new(sink)));
    let p = compile("tempo 240\nplay a { note: \"0\" }")
        .program
        .unwrap();
    patter_tests::play(&engine, p, Some(240.0));
    (engine, rec, seen)
}

/// A playing engine whose JACK MIDI sink `patter{tag}` plays `src` into a recorder
/// `{tag}recorder`.
fn notes_into_recorder(
    tag: &str,
    src: &str,
    bpm: f64,
) -> (Engine, jack::AsyncClient<(), Recorder>, Seen) {
    let rec_name = format!("{tag}recorder");
    let (rec, seen) = recorder(&rec_name);
    let engine = Engine::start(EngineConfig::default());
    let sink = JackMidiSink::start(&format!("patter{tag}"), "midi_out", engine.origin()).unwrap();
    sink.connect_to(&format!("{rec_name}:in")).unwrap();
    assert_eq!(sink.format(), (48000, 256));
    engine.send(Command::AddSink(Box::new(sink)));
    patter_tests::play(&engine, compile(src).program.unwrap(), Some(bpm));
    (engine, rec, seen)
}

/// The JACK MIDI sink's metrics.
fn sink_metrics(engine: &Engine) -> SinkMetrics {
    engine
        .metrics()
        .sinks
        .into_iter()
        .find(|s| s.name.starts_with("jack-midi"))
        .unwrap()
}

#[test]
fn notes_arrive_in_order_inside_cycles_and_stop_releases_them() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Real-time: a non-real-time dummy server xruns on a busy machine, and a note-off of
    // a missed cycle is lost with it.
    let server = realtime_server("midi");

    // 16th notes at 150 BPM: 0.1 s = 4800 frames apart, each sounding 3/4 of that.
    let (mut engine, rec, seen) = notes_into_recorder(
        "",
        "tempo 150\nplay a { note: \"0 1 2 3 4 5 6 7\".fast(2), legato: 0.75 }",
        150.0,
    );
    std::thread::sleep(Duration::from_millis(1500));
    // Stop mid-note: whatever sounds must be released.
    engine.send(Command::StopTransport);
    std::thread::sleep(Duration::from_millis(100));
    let metrics = sink_metrics(&engine);
    engine.shutdown();
    std::thread::sleep(Duration::from_millis(50));
    let _ = rec.deactivate();

    let msgs = drain(&seen);
    let ons: Vec<(u64, u8)> = msgs
        .iter()
        .filter(|(_, b)| b[0] & 0xf0 == 0x90 && b[2] > 0)
        .map(|(f, b)| (*f, b[1]))
        .collect();
    let offs = msgs.iter().filter(|(_, b)| b[0] & 0xf0 == 0x80).count();
    assert!(ons.len() >= 10, "only {} notes in 1.5 s", ons.len());
    // Every note-on has a note-off after it, and nothing is left sounding. A cycle the
    // server drops at an xrun takes its messages with it (39 xruns in 1.5 s were seen on
    // this machine's dummy server); the sink then sends the last note-offs again, so a
    // note-off may arrive twice, never not at all.
    assert!(
        offs >= ons.len(),
        "{offs} note-offs for {} note-ons: {metrics:?}",
        ons.len()
    );
    for (at, key) in &ons {
        assert!(
            msgs.iter()
                .any(|(f, b)| f >= at && b[0] & 0xf0 == 0x80 && b[1] == *key),
            "note {key} at frame {at} has no note-off: {metrics:?}"
        );
    }
    assert_eq!(sounding(&msgs), vec![], "stuck notes: {metrics:?}");
    // In order, cycling through the notes; a note-on lost with a dropped cycle skips one
    // (at most one per xrun).
    let mut skipped = 0;
    for w in ons.windows(2) {
        assert!(w[0].0 < w[1].0);
        let step = (w[1].1 + 8 - w[0].1) % 8;
        assert!(step >= 1, "{w:?}");
        skipped += u64::from(step) - 1;
    }
    assert!(
        skipped <= metrics.errors,
        "{skipped} notes skipped: {ons:?} {metrics:?}"
    );
    // Placed inside cycles: onsets 4800 frames apart cannot all sit at a cycle start.
    let inside = ons.iter().filter(|(f, _)| f % 256 != 0).count();
    assert!(
        inside > ons.len() / 2,
        "onsets should fall inside cycles, not at frame 0: {ons:?}"
    );
    drop(server);
}

#[test]
fn midi_clock_out_sends_24_ticks_per_beat_with_start_and_stop() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Real-time: without it a busy machine slows the dummy server's clock (ticks 476
    // frames apart instead of 500 were seen at a load of 13).
    let server = realtime_server("clock");
    let (mut engine, rec, seen) = clock_into_recorder("clock");
    std::thread::sleep(Duration::from_millis(1200));
    engine.send(Command::StopTransport);
    std::thread::sleep(Duration::from_millis(100));
    let xruns = sink_metrics(&engine).errors;
    engine.shutdown();
    let _ = rec.deactivate();
    let msgs = drain(&seen);
    assert_eq!(msgs.first().map(|m| m.1[0]), Some(0xfa), "Start first");
    assert!(msgs.iter().any(|m| m.1[0] == 0xfc), "Stop at the end");
    let ticks: Vec<u64> = msgs
        .iter()
        .filter(|m| m.1[0] == 0xf8)
        .map(|m| m.0)
        .collect();
    assert!(ticks.len() > 48, "{} ticks", ticks.len());
    // 240 BPM: 24 ticks per 0.25 s beat = 500 frames apart at 48 kHz. The exact spread is
    // measured by the timing harness; here: the median is on the grid and, unless the
    // server xrunned (counted as the sink's errors), no tick is lost or doubled (a loaded
    // machine may move a tick by a few frames, never by half a tick). An xrun can move
    // ticks by a cycle or lose one: seen on the dummy server in session 3, with gaps of
    // 756/244 and of 993.
    let mut gaps: Vec<u64> = ticks
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    if xruns == 0 {
        assert!(
            gaps.iter().all(|d| (250..=750).contains(d)),
            "a tick lost or doubled: {gaps:?}"
        );
    } else {
        eprintln!("{xruns} xruns: ticks not checked one by one: {gaps:?}");
    }
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    // After xruns the sink takes up what it fell behind by slewing (0.25%: 498.75 frames).
    // (When it placed messages by JACK's clock, spacings of 481-496 frames followed.)
    let (lo, hi) = if xruns == 0 { (499, 501) } else { (497, 501) };
    assert!(
        (lo..=hi).contains(&median),
        "median tick spacing {median} frames ({xruns} xruns)"
    );
    drop(server);
}

/// Keys still sounding after `msgs`, as a synth reading them would hold them.
fn sounding(msgs: &[(u64, [u8; 3])]) -> Vec<(u8, u8)> {
    let mut on = std::collections::BTreeSet::new();
    for (_, b) in msgs {
        let key = (b[0] & 0x0f, b[1]);
        match b[0] & 0xf0 {
            0x90 if b[2] > 0 => {
                on.insert(key);
            }
            0x80 | 0x90 => {
                on.remove(&key);
            }
            _ => {}
        }
    }
    on.into_iter().collect()
}

#[test]
fn no_note_is_left_sounding_through_server_freezes() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let server = realtime_server("freezenotes");
    // A new key every 25 ms (64ths at 150 BPM), each struck once: a lost note-off is not
    // hidden by a later release of the same key.
    let (mut engine, rec, seen) = notes_into_recorder(
        "freeze",
        "tempo 150\nplay a { note: series(-60, 1), dur: 0.0625, legato: 0.5 }",
        150.0,
    );
    std::thread::sleep(Duration::from_millis(300));
    // Each freeze is an xrun, after which the sink sends the last note-offs again: a cycle
    // the server drops takes its MIDI with it. (A freeze itself loses none here: this test
    // passes without the resending too: it shows the resending at work leaving no note
    // sounding. The dummy server's own xruns, which do lose cycles, come at random; that
    // a release is never sent again after its key was struck anew is a unit test of
    // `RecentNotes`.)
    for _ in 0..8 {
        server.stall(Duration::from_millis(30));
        std::thread::sleep(Duration::from_millis(120));
    }
    std::thread::sleep(Duration::from_millis(100));
    engine.send(Command::StopTransport);
    std::thread::sleep(Duration::from_millis(150));
    let m = sink_metrics(&engine);
    engine.shutdown();
    let _ = rec.deactivate();
    drop(server);
    let all = drain(&seen);
    let ons = all
        .iter()
        .filter(|(_, b)| b[0] & 0xf0 == 0x90 && b[2] > 0)
        .count();
    assert!(ons > 40, "only {ons} note-ons: {m:?}");
    assert!(m.errors >= 1, "the freezes are counted as xruns: {m:?}");
    assert!(
        m.resent >= 1,
        "note-offs were sent again after the xruns: {m:?}"
    );
    // Stopping releases what the sink believes sounds; a note-off lost downstream would
    // leave its key sounding for good.
    assert_eq!(sounding(&all), vec![], "stuck notes ({m:?})");
}

#[test]
fn midi_clock_ticks_stay_evenly_spaced_through_a_server_freeze() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let server = realtime_server("clockfreeze");
    let (mut engine, rec, seen) = clock_into_recorder("freeze");
    std::thread::sleep(Duration::from_millis(600));
    // Every client misses the cycles of the freeze, and JACK's clock jumps and settles
    // after it.
    server.stall(Duration::from_millis(40));
    std::thread::sleep(Duration::from_millis(900));
    engine.send(Command::StopTransport);
    std::thread::sleep(Duration::from_millis(100));
    let m = sink_metrics(&engine);
    engine.shutdown();
    let _ = rec.deactivate();
    drop(server);
    assert!(m.errors >= 1, "the freeze is counted as an xrun: {m:?}");
    let ticks: Vec<u64> = drain(&seen)
        .iter()
        .filter(|m| m.1[0] == 0xf8)
        .map(|m| m.0)
        .collect();
    assert!(ticks.len() > 100, "{} ticks", ticks.len());
    // 500 frames apart at 240 BPM. The sink maps engine time to the server's frame count
    // and only slews against JACK's clock, so the freeze does not bend the spacing: placed
    // by JACK's clock, ticks were 481-488 frames apart for a second after it (JACK's clock
    // settling), with one lost. Slewing takes up the 40 ms the frame count fell behind at
    // 0.25% of the time played (498.75 frames). What an xrun may still do is lose a tick
    // or move one by up to a cycle (256 frames): a gap of 1000, or 756 then 244, 548
    // then 452, and so on, at most twice per xrun.
    let gaps: Vec<u64> = ticks
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    let context = format!(
        "{} xruns, {} clock corrections: {gaps:?}",
        m.errors, m.clock_corrections
    );
    if m.errors > 8 {
        // The freeze makes a few; more are the machine's own, and a dummy server that
        // xruns continually (a loaded machine) cannot be judged frame by frame.
        eprintln!("not judged: {context}");
        return;
    }
    let on_grid = |g: u64| (497..=501).contains(&g);
    let off: Vec<u64> = gaps.iter().copied().filter(|g| !on_grid(*g)).collect();
    // A late tick goes out at the start of the next cycle: within a cycle of its place.
    assert!(
        off.iter().all(|g| (244..=1256).contains(g)),
        "a tick doubled, or moved by more than a cycle: {context}"
    );
    assert!(off.len() as u64 <= 2 * m.errors, "{context}");
}

#[test]
fn a_lost_jack_server_is_reported_and_reconnected_when_it_returns() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let name = format!("patter-lost-{}", std::process::id());
    let Some(server) = JackServer::start_named(&name, 48000, 256) else {
        panic!("jackd is required for this test: apt-get install jackd2 (CI installs it)");
    };
    use_server(&server);
    let mut engine = Engine::start(EngineConfig::default());
    let sink = JackMidiSink::start("patterlost", "midi_out", engine.origin()).unwrap();
    let probe = sink.connect_to("recorder2:in");
    assert!(
        probe.is_err(),
        "no recorder yet: the connection is remembered for later"
    );
    engine.send(Command::AddSink(Box::new(sink)));
    let p = compile("tempo 240\nplay a { note: \"0*8\" }")
        .program
        .unwrap();
    patter_tests::play(&engine, p, None);
    std::thread::sleep(Duration::from_millis(300));

    // The server goes away mid-set: the engine keeps running and the sink says so.
    drop(server);
    std::thread::sleep(Duration::from_millis(800));
    assert!(e_alive(&engine));
    let m = engine.metrics();
    let jack = m
        .sinks
        .iter()
        .find(|s| s.name.starts_with("jack-midi"))
        .unwrap();
    assert!(!jack.connected, "{jack:?}");

    // It comes back: the sink reconnects and the remembered connection is made.
    let server = JackServer::start_named(&name, 48000, 256).unwrap();
    let (rec, seen) = recorder("recorder2");
    std::thread::sleep(Duration::from_millis(1500));
    let m = engine.metrics();
    let jack = m
        .sinks
        .iter()
        .find(|s| s.name.starts_with("jack-midi"))
        .unwrap();
    assert!(jack.connected, "{jack:?}");
    assert!(
        !seen.is_empty(),
        "notes arrive again after the server returned"
    );
    engine.shutdown();
    let _ = rec.deactivate();
    drop(server);
}

fn e_alive(e: &Engine) -> bool {
    e.is_alive()
}
