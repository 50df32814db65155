//! Cost of `ScSink::schedule` on the scheduler thread: encoding one event's `/s_new`
//! bundle (9 controls) and its `gate 0` release bundle, and sending both on the
//! non-blocking UDP socket, to a stand-in server on loopback that answers `/status` and
//! drops the rest.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use patter_pattern::{Event, Time, TimeSpan, Value};
use patter_runtime::sink::{EventTimes, Sink};
use patter_sc::server::ServerKind;
use patter_sc::{ScConfig, ScSink};
use rosc::{OscMessage, OscPacket, OscType};

fn stand_in() -> UdpSocket {
    let sock = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let s = sock.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, from)) = s.recv_from(&mut buf) {
            if let Ok((_, OscPacket::Message(m))) = rosc::decoder::decode_udp(&buf[..n]) {
                if m.addr == "/status" {
                    let reply = OscPacket::Message(OscMessage {
                        addr: "/status.reply".into(),
                        args: vec![
                            OscType::Int(1),
                            OscType::Int(0),
                            OscType::Int(0),
                            OscType::Int(1),
                            OscType::Int(11),
                            OscType::Float(0.0),
                            OscType::Float(0.0),
                            OscType::Double(48_000.0),
                            OscType::Double(48_000.0),
                        ],
                    });
                    let _ = s.send_to(&rosc::encoder::encode(&reply).unwrap(), from);
                }
            }
        }
    });
    sock
}

fn bench(c: &mut Criterion) {
    let server = stand_in();
    let origin = Instant::now();
    let mut sink = ScSink::start(
        ScConfig::connect(ServerKind::Scsynth, server.local_addr().unwrap()),
        origin,
    )
    .unwrap();
    let event = Event {
        player: 0,
        whole: TimeSpan::new(Time::ZERO, Time::int(1)),
        beat: Time::ZERO,
        dur: Time::new(1, 4),
        sustain: 0.2,
        params: vec![
            (patter_pattern::Key::new("amp"), Value::Num(0.1)),
            (patter_pattern::Key::new("degree"), Value::Num(2.0)),
            (patter_pattern::Key::new("dur"), Value::Num(0.25)),
            (patter_pattern::Key::new("freq"), Value::Num(329.6)),
            (patter_pattern::Key::new("instrument"), Value::str("saw")),
            (patter_pattern::Key::new("legato"), Value::Num(0.8)),
            (patter_pattern::Key::new("midinote"), Value::Num(64.0)),
            (patter_pattern::Key::new("pan"), Value::Num(0.0)),
            (patter_pattern::Key::new("velocity"), Value::Num(13.0)),
        ]
        .into_iter()
        .collect(),
    };
    let times = EventTimes {
        onset: 1.0,
        release: 1.1,
    };
    c.bench_function("sc_schedule_gated_event", |b| {
        b.iter(|| sink.schedule(black_box(&event), times))
    });
    let m = sink.metrics();
    eprintln!("sent {}, errors {}", m.sent, m.errors);
    sink.close();
    std::thread::sleep(Duration::from_millis(10));
}

criterion_group!(benches, bench);
criterion_main!(benches);
