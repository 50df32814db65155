//! OSC encoding into reused buffers (no allocation once their capacity is reached), for the
//! scheduler thread, and NTP timetags.
//!
//! rosc builds owned messages (`String`s, `Vec`s) for every packet; the sink sends one
//! bundle per event from the scheduler thread, so it writes the bytes itself here. The
//! tests check that rosc decodes what this writes to the same packet it would encode.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from 1900 (NTP's epoch) to 1970 (Unix's).
const NTP_UNIX_OFFSET: f64 = 2_208_988_800.0;

/// The timetag meaning "now".
pub const IMMEDIATELY: u64 = 1;

/// NTP timetag (32.32 fixed point) of `seconds` since NTP's epoch; clamped to the
/// representable range, never "immediately" by accident.
pub fn ntp(seconds: f64) -> u64 {
    if !seconds.is_finite() || seconds <= 0.0 {
        return 0;
    }
    let s = seconds.min(u32::MAX as f64);
    let whole = s.trunc();
    let frac = ((s - whole) * 4_294_967_296.0).round().min(4_294_967_295.0);
    ((whole as u64) << 32) | frac as u64
}

/// The NTP timetag of a wall-clock time.
pub fn ntp_of(t: SystemTime) -> u64 {
    let unix = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    ntp(unix + NTP_UNIX_OFFSET)
}

/// Seconds since NTP's epoch of a timetag.
pub fn ntp_seconds(tag: u64) -> f64 {
    (tag >> 32) as f64 + (tag & 0xffff_ffff) as f64 / 4_294_967_296.0
}

fn pad(buf: &mut Vec<u8>) {
    while buf.len() % 4 != 0 {
        buf.push(0);
    }
}

fn osc_string(buf: &mut Vec<u8>, s: &str) {
    // OSC strings end at the first NUL: drop any inside, so a key cannot corrupt the packet.
    buf.extend(s.bytes().filter(|b| *b != 0));
    buf.push(0);
    pad(buf);
}

/// Writes OSC messages, optionally inside one bundle, into buffers that are cleared and
/// reused.
#[derive(Debug)]
pub struct OscWriter {
    out: Vec<u8>,
    tags: Vec<u8>,
    args: Vec<u8>,
    in_bundle: bool,
    size_at: Option<usize>,
}

impl OscWriter {
    /// Buffers reserved for packets of up to `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> OscWriter {
        OscWriter {
            out: Vec::with_capacity(capacity),
            tags: Vec::with_capacity(256),
            args: Vec::with_capacity(capacity),
            in_bundle: false,
            size_at: None,
        }
    }

    /// Forget what was written.
    pub fn clear(&mut self) {
        self.out.clear();
        self.in_bundle = false;
        self.size_at = None;
    }

    /// Start a bundle (after [`OscWriter::clear`]); messages started next go inside it.
    pub fn start_bundle(&mut self, timetag: u64) {
        self.clear();
        self.out.extend_from_slice(b"#bundle\0");
        self.out.extend_from_slice(&timetag.to_be_bytes());
        self.in_bundle = true;
    }

    /// Start a message to `addr`; add its arguments, then [`OscWriter::end_message`].
    pub fn start_message(&mut self, addr: &str) -> &mut Self {
        if self.in_bundle {
            self.size_at = Some(self.out.len());
            self.out.extend_from_slice(&[0; 4]);
        } else {
            self.out.clear();
        }
        osc_string(&mut self.out, addr);
        self.tags.clear();
        self.tags.push(b',');
        self.args.clear();
        self
    }

    /// An int32 argument.
    pub fn int(&mut self, v: i32) -> &mut Self {
        self.tags.push(b'i');
        self.args.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A float32 argument.
    pub fn float(&mut self, v: f32) -> &mut Self {
        self.tags.push(b'f');
        self.args.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A string argument.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.tags.push(b's');
        osc_string(&mut self.args, s);
        self
    }

    /// A blob argument.
    pub fn blob(&mut self, b: &[u8]) -> &mut Self {
        self.tags.push(b'b');
        self.args
            .extend_from_slice(&(b.len().min(i32::MAX as usize) as i32).to_be_bytes());
        self.args.extend_from_slice(b);
        pad(&mut self.args);
        self
    }

    /// Finish the message started last.
    pub fn end_message(&mut self) {
        self.out.extend_from_slice(&self.tags);
        self.out.push(0);
        pad(&mut self.out);
        self.out.extend_from_slice(&self.args);
        if let Some(at) = self.size_at.take() {
            let size = (self.out.len() - at - 4) as i32;
            if let Some(slot) = self.out.get_mut(at..at + 4) {
                slot.copy_from_slice(&size.to_be_bytes());
            }
        }
    }

    /// The packet.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// True when a bundle holds no message yet.
    pub fn is_empty_bundle(&self) -> bool {
        self.in_bundle && self.out.len() <= 16
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

    #[test]
    fn rosc_reads_what_we_write() {
        let mut w = OscWriter::with_capacity(1024);
        w.start_bundle(0x1234_5678_9abc_def0);
        w.start_message("/s_new")
            .string("default")
            .int(1000)
            .int(1)
            .int(2)
            .string("freq")
            .float(440.0);
        w.end_message();
        w.start_message("/d_recv").blob(&[1, 2, 3, 4, 5]);
        w.end_message();
        let expected = OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 0x1234_5678,
                fractional: 0x9abc_def0,
            },
            content: vec![
                OscPacket::Message(OscMessage {
                    addr: "/s_new".into(),
                    args: vec![
                        OscType::String("default".into()),
                        OscType::Int(1000),
                        OscType::Int(1),
                        OscType::Int(2),
                        OscType::String("freq".into()),
                        OscType::Float(440.0),
                    ],
                }),
                OscPacket::Message(OscMessage {
                    addr: "/d_recv".into(),
                    args: vec![OscType::Blob(vec![1, 2, 3, 4, 5])],
                }),
            ],
        });
        assert_eq!(w.bytes(), rosc::encoder::encode(&expected).unwrap());
        let (_, decoded) = rosc::decoder::decode_udp(w.bytes()).unwrap();
        assert_eq!(decoded, expected);

        w.clear();
        w.start_message("/status");
        w.end_message();
        let plain = OscPacket::Message(OscMessage {
            addr: "/status".into(),
            args: vec![],
        });
        assert_eq!(w.bytes(), rosc::encoder::encode(&plain).unwrap());
    }

    #[test]
    fn timetags() {
        assert_eq!(ntp(1.5), (1 << 32) | (1 << 31));
        assert_eq!(ntp(-3.0), 0);
        assert_eq!(ntp(f64::NAN), 0);
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(10);
        assert_eq!(ntp_of(t) >> 32, 2_208_988_810);
        assert!((ntp_seconds(ntp(12.25)) - 12.25).abs() < 1e-9);
    }

    #[test]
    fn no_reallocation_once_reserved() {
        let mut w = OscWriter::with_capacity(4096);
        let before = (w.out.capacity(), w.args.capacity());
        for i in 0..100 {
            w.start_bundle(i);
            w.start_message("/s_new").string("default").int(i as i32);
            w.end_message();
        }
        assert_eq!(before, (w.out.capacity(), w.args.capacity()));
    }
}
