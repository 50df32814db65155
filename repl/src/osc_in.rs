//! OSC input: a controller (TouchOSC, a sequencer, `oscsend`) drives the session with
//! `/patter/set PLAYER KEY VALUE` and `/patter/launch SCENE` on a local UDP port.
//!
//! Packets are decoded with rosc on a thread of their own and forwarded as the session's
//! [`Request`]s, so they land exactly as the REPL's `:set` and `:scene` do. OSC has no
//! replies: what cannot be carried out is reported on stderr. A number argument is the value
//! itself; a string argument is patter source (send `"0.2 0.5"` with its quotes for a
//! mini-notation pattern).

use std::net::{SocketAddr, UdpSocket};

use rosc::{OscMessage, OscPacket, OscType};

use crate::session::{Request, Response};

/// Largest datagram read (the UDP maximum).
const MAX_PACKET: usize = 65_536;

/// Deepest bundle nesting followed (a crafted packet must not recurse without end).
const MAX_DEPTH: usize = 8;

/// The requests in one packet, in order, and a message for each OSC message that is not one.
pub fn decode(packet: &[u8]) -> Vec<Result<Request, String>> {
    match rosc::decoder::decode_udp(packet) {
        Ok((_, p)) => {
            let mut out = Vec::new();
            flatten(&p, 0, &mut out);
            out
        }
        Err(e) => vec![Err(format!("not an OSC packet ({e:?})"))],
    }
}

fn flatten(p: &OscPacket, depth: usize, out: &mut Vec<Result<Request, String>>) {
    match p {
        OscPacket::Message(m) => out.push(request(m)),
        OscPacket::Bundle(b) if depth < MAX_DEPTH => {
            for q in &b.content {
                flatten(q, depth + 1, out);
            }
        }
        OscPacket::Bundle(_) => out.push(Err("OSC bundles nested too deep".into())),
    }
}

/// An argument as patter source.
fn source(arg: &OscType) -> Option<String> {
    match arg {
        OscType::Int(i) => Some(i.to_string()),
        OscType::Long(i) => Some(i.to_string()),
        OscType::Float(x) if x.is_finite() => Some(patter_pattern::fmt_num(f64::from(*x))),
        OscType::Double(x) if x.is_finite() => Some(patter_pattern::fmt_num(*x)),
        OscType::String(s) => Some(s.clone()),
        OscType::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A name argument (player, key, scene).
fn name(arg: Option<&OscType>) -> Option<String> {
    match arg {
        Some(OscType::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn request(m: &OscMessage) -> Result<Request, String> {
    match m.addr.as_str() {
        "/patter/set" => match (
            name(m.args.first()),
            name(m.args.get(1)),
            m.args.get(2).and_then(source),
            m.args.len(),
        ) {
            (Some(player), Some(key), Some(value), 3) => Ok(Request::Set { player, key, value }),
            _ => Err(
                "/patter/set takes PLAYER KEY VALUE (two strings and a number or string)".into(),
            ),
        },
        "/patter/launch" => match (name(m.args.first()), m.args.len()) {
            (Some(scene), 1) => Ok(Request::Launch { scene }),
            _ => Err("/patter/launch takes a scene name (a string)".into()),
        },
        other => Err(format!(
            "unknown OSC address `{other}` (patter takes /patter/set and /patter/launch)"
        )),
    }
}

/// Listen on `127.0.0.1:port` (0: any free port) and forward every request to `forward`,
/// on a thread that lives as long as the process. Returns the address bound.
pub fn start(
    port: u16,
    mut forward: impl FnMut(Request) -> Response + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    let addr = socket.local_addr()?;
    std::thread::Builder::new()
        .name("patter-osc-in".into())
        .spawn(move || {
            let mut buf = vec![0u8; MAX_PACKET];
            loop {
                let Ok((n, _from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                for r in decode(buf.get(..n).unwrap_or_default()) {
                    let reply = match r {
                        Ok(request) => forward(request),
                        Err(message) => Response::Error { message },
                    };
                    if let Response::Error { message } = reply {
                        eprintln!("patter: OSC: {message}");
                    }
                }
            }
        })?;
    Ok(addr)
}

/// `--osc-in PORT` as a port.
pub fn port_arg(value: &str) -> Result<u16, String> {
    value
        .parse::<u16>()
        .map_err(|_| format!("--osc-in takes a UDP port (0–65535), not `{value}`"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn encode(addr: &str, args: Vec<OscType>) -> Vec<u8> {
        rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        }))
        .unwrap()
    }

    #[test]
    fn messages_decode_to_requests_and_bad_ones_to_reasons() {
        let set = encode(
            "/patter/set",
            vec!["bass".into(), "amp".into(), OscType::Float(0.5)],
        );
        assert_eq!(
            decode(&set),
            [Ok(Request::Set {
                player: "bass".into(),
                key: "amp".into(),
                value: "0.5".into()
            })]
        );
        let launch = encode("/patter/launch", vec!["verse".into()]);
        assert_eq!(
            decode(&launch),
            [Ok(Request::Launch {
                scene: "verse".into()
            })]
        );
        for bad in [
            encode("/patter/set", vec!["bass".into()]),
            encode("/patter/launch", vec![OscType::Int(3)]),
            encode("/other", vec![]),
            b"garbage".to_vec(),
            encode(
                "/patter/set",
                vec!["a".into(), "b".into(), OscType::Float(f32::NAN)],
            ),
        ] {
            let out = decode(&bad);
            assert_eq!(out.len(), 1);
            assert!(out[0].is_err(), "{out:?}");
        }
    }
}
