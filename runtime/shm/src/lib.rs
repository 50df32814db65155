//! patter's shared-memory event ring.
//!
//! Real-time contract: the writer ([`Writer::push`], called by [`ShmSink`] on the engine's
//! scheduler thread) and the reader ([`Reader::try_read`]) never allocate, lock, block or
//! make a system call per record. One writer process and one reader process share a
//! `/dev/shm` segment: a versioned header and a ring of fixed 32-byte [`Record`]s. When the
//! reader falls behind the writer drops the newest record and counts it (the header's
//! overrun counter); it never waits. Another language reads the same segment through
//! `runtime/include/patter_shm.h`; the layout is documented in `docs/shm.md`.
//!
//! ```
//! use patter_shm::{ClockRef, Kind, Reader, Record, Writer};
//!
//! let name = format!("patter-doc-{}", std::process::id());
//! let mut writer = Writer::create(&name, 1024, ClockRef::now())?;
//! let mut reader = Reader::open(&name)?;
//! writer.push(Record { kind: Kind::NoteOn as u8, note: 60, velocity: 100, ..Record::default() });
//! let rec = reader.try_read().ok_or("nothing read")?;
//! assert_eq!((rec.kind(), rec.note, rec.seq), (Some(Kind::NoteOn), 60, 0));
//! drop(writer); // removes /dev/shm/NAME; the reader's mapping stays valid
//! assert!(!reader.writer_alive());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod layout;
mod ring;
mod sink;

pub use layout::{
    monotonic_ns, realtime_ns, ClockRef, Kind, Record, DEFAULT_CAPACITY, HEADER_SIZE, MAGIC,
    MAX_CAPACITY, RECORD_SIZE, VERSION,
};
pub use ring::{ring_capacity, segment_path, Reader, ShmError, Writer};
pub use sink::ShmSink;
