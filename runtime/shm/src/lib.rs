//! patter's shared-memory event ring.
//!
//! Real-time contract: the writer ([`Writer::push`], called by [`ShmSink`] on the engine's
//! scheduler thread) and the reader ([`Reader::try_read`]) never allocate, lock, block or
//! make a system call per record. One writer process and one reader process share a
//! `/dev/shm` segment: a versioned header and a ring of fixed 32-byte [`Record`]s. When the
//! reader falls behind the writer drops the newest record and counts it (the header's
//! overrun counter); it never waits. Another language reads the same segment through
//! `runtime/include/patter_shm.h`; the layout is documented in `docs/shm.md`.

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
