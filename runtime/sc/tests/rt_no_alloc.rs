//! `ScSink::schedule` and `release_all` run on the engine's scheduler thread: once warm,
//! they make no allocation. A stand-in server on a UDP socket answers `/status` (the
//! real servers are exercised by the tests crate's SuperCollider tests) and receives
//! what the sink sends, which is checked too: one `/s_new` bundle per event, stamped at
//! onset + latency on the wall clock, and a `gate 0` bundle for gated definitions.
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../../tests/support/counting_alloc.rs"]
mod counting_alloc;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use counting_alloc::allocations_in;
use patter_pattern::{Event, Time, TimeSpan, Value};
use patter_runtime::sink::{EventTimes, Sink};
use patter_sc::server::ServerKind;
use patter_sc::{ScConfig, ScSink};
use rosc::{OscMessage, OscPacket, OscType};

/// Answers `/status` like a server with every built-in definition loaded; keeps every
/// other packet it receives.
fn stand_in() -> (UdpSocket, Arc<Mutex<Vec<OscPacket>>>, Arc<AtomicBool>) {
    let sock = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (s, g, st) = (sock.try_clone().unwrap(), got.clone(), stop.clone());
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        while !st.load(Ordering::Relaxed) {
            let Ok((n, from)) = s.recv_from(&mut buf) else {
                continue;
            };
            let (_, p) = rosc::decoder::decode_udp(&buf[..n]).unwrap();
            if matches!(&p, OscPacket::Message(m) if m.addr == "/status") {
                let reply = OscPacket::Message(OscMessage {
                    addr: "/status.reply".into(),
                    args: vec![
                        OscType::Int(1),
                        OscType::Int(0),
                        OscType::Int(0),
                        OscType::Int(1),
                        OscType::Int(patter_sc::library::NAMES.len() as i32),
                        OscType::Float(1.5),
                        OscType::Float(2.5),
                        OscType::Double(48_000.0),
                        OscType::Double(48_000.0),
                    ],
                });
                let _ = s.send_to(&rosc::encoder::encode(&reply).unwrap(), from);
            } else {
                g.lock().unwrap().push(p);
            }
        }
    });
    (sock, got, stop)
}

fn event(player: u32, beat: i64, instrument: &str, mono: bool) -> Event {
    let mut params: Vec<(patter_pattern::Key, Value)> = vec![
        ("amp".into(), Value::Num(0.2)),
        ("degree".into(), Value::Num(2.0)),
        ("freq".into(), Value::Num(329.6)),
        ("instrument".into(), Value::str(instrument)),
        ("pan".into(), Value::Num(-0.5)),
        ("s".into(), Value::str("bd")),
    ];
    if mono {
        params.push(("mono".into(), Value::Num(1.0)));
    }
    Event {
        player,
        whole: TimeSpan::new(Time::int(beat), Time::int(beat + 1)),
        beat: Time::int(beat),
        dur: Time::int(1),
        sustain: 0.5,
        params: params.into(),
    }
}

#[test]
fn scheduling_makes_no_allocation_and_sends_what_it_should() {
    let (server, got, stop) = stand_in();
    let origin = Instant::now();
    let config = ScConfig::connect(ServerKind::Scsynth, server.local_addr().unwrap());
    let mut sink = ScSink::start(config, origin).unwrap();
    let handle = sink.handle();
    let events: Vec<Event> = (0..300)
        .map(|i| match i % 3 {
            0 => event(0, i, "saw", false),
            1 => event(1, i, "ping", false),
            _ => event(2, i, "pad", true),
        })
        .collect();
    let at = |i: usize| EventTimes {
        onset: 1.0 + i as f64 * 0.01,
        release: 1.005 + i as f64 * 0.01,
    };
    // Warm up: groups are created, buffers reach their size.
    for (i, e) in events.iter().take(3).enumerate() {
        sink.schedule(e, at(i));
    }
    // In chunks, as the scheduler's ticks hand them over (a burst of 300 datagrams would
    // overflow the stand-in's receive buffer).
    let mut n = 0;
    for chunk in (3..events.len()).collect::<Vec<_>>().chunks(10) {
        n += allocations_in(|| {
            for &i in chunk {
                sink.schedule(&events[i], at(i));
            }
        });
        std::thread::sleep(Duration::from_millis(3));
    }
    n += allocations_in(|| sink.release_all());
    assert_eq!(n, 0, "allocations on the scheduler thread");

    // What the stand-in received.
    let wall_origin = SystemTime::now() - origin.elapsed();
    let deadline = Instant::now() + Duration::from_secs(5);
    let count = |addr: &str| {
        got.lock()
            .unwrap()
            .iter()
            .filter_map(|p| match p {
                OscPacket::Bundle(b) => b.content.first().cloned(),
                _ => None,
            })
            .filter(|p| matches!(p, OscPacket::Message(m) if m.addr == addr))
            .count()
    };
    let plain = || -> Vec<String> {
        got.lock()
            .unwrap()
            .iter()
            .filter_map(|p| match p {
                OscPacket::Message(m) => Some(m.addr.clone()),
                _ => None,
            })
            .collect()
    };
    // Everything arrived: the last packets are release_all's three group releases.
    while Instant::now() < deadline
        && (count("/s_new") + count("/n_set") < 400
            || plain().iter().filter(|a| *a == "/n_set").count() < 3)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    // saw and ping: a node each; pad is mono: one node, then /n_set.
    assert_eq!(count("/s_new"), 100 + 100 + 1);
    // saw's releases and pad's moves.
    assert_eq!(count("/n_set"), 100 + 99);
    let packets = got.lock().unwrap().clone();
    let first = packets
        .iter()
        .find_map(|p| match p {
            OscPacket::Bundle(b) => Some(b.clone()),
            _ => None,
        })
        .unwrap();
    let OscPacket::Message(m) = &first.content[0] else {
        panic!()
    };
    assert_eq!(m.addr, "/s_new");
    assert_eq!(m.args[0], OscType::String("saw".into()));
    // No `/done /notify` from the stand-in: client id 0's range.
    assert_eq!(handle.client_base(), patter_sc::sink::client_base(0));
    assert_eq!(m.args[3], OscType::Int(handle.group_of(0)));
    assert_eq!(m.args[2], OscType::Int(1));
    let OscType::Int(node) = m.args[1] else {
        panic!()
    };
    assert!(node > handle.client_base() && node < handle.client_base() + (1 << 25));
    let control = |name: &str| {
        let i = m
            .args
            .iter()
            .position(|a| *a == OscType::String(name.into()))
            .unwrap();
        m.args[i + 1].clone()
    };
    assert_eq!(control("freq"), OscType::Float(329.6));
    assert_eq!(control("pan"), OscType::Float(-0.5));
    assert_eq!(control("sustain"), OscType::Float(0.005));
    assert!(!m.args.contains(&OscType::String("instrument".into())));
    // Stamped at wall-clock onset + 0.2 s.
    let tag = SystemTime::from(first.timetag);
    let expected = wall_origin + Duration::from_secs_f64(1.2);
    let off = match tag.duration_since(expected) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    assert!(off < Duration::from_millis(2), "timetag off by {off:?}");
    // Stop released the player groups after clearing the schedule.
    let plain = plain();
    assert!(plain.contains(&"/clearSched".to_string()), "{plain:?}");
    assert!(plain.contains(&"/g_new".to_string()), "{plain:?}");
    assert_eq!(handle.status().avg_cpu, 1.5);
    assert_eq!(handle.status().sample_rate, 48_000.0);
    sink.close();
    stop.store(true, Ordering::Relaxed);
}
