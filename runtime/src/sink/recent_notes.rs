//! The note messages a MIDI port sent lately, to send the note-offs again after an xrun.
//!
//! When the JACK server drops a cycle, the MIDI written in it never reaches the clients
//! downstream: a lost note-on is a missing note, but a lost note-off is a stuck one. A
//! note-off sent twice is harmless (a synth ignores a release of a note that is not
//! sounding), so after an xrun the sink sends again the note-offs of the last moments,
//! except one whose pitch was struck again since (that would cut the new note short).
//!
//! Fixed-size and allocation-free after construction: it lives in the process callback.

use crate::midi::MidiMsg;

/// Note messages remembered (the oldest are forgotten first).
pub(crate) const REMEMBERED: usize = 256;

/// A ring of `(frame, message)` for the note-ons and note-offs sent.
pub(crate) struct RecentNotes {
    ring: Box<[(u64, MidiMsg)]>,
    /// Next slot to write.
    next: usize,
    /// Slots written (up to the ring's length).
    len: usize,
}

impl RecentNotes {
    pub(crate) fn new() -> RecentNotes {
        RecentNotes {
            ring: vec![(0, MidiMsg::note_off(0, 0)); REMEMBERED].into_boxed_slice(),
            next: 0,
            len: 0,
        }
    }

    /// Remember `msg`, sent at `frame`, if it is a note-on or a note-off.
    pub(crate) fn sent(&mut self, frame: u64, msg: &MidiMsg) {
        if !(msg.is_note_on() || msg.is_note_off()) {
            return;
        }
        if let Some(slot) = self.ring.get_mut(self.next) {
            *slot = (frame, *msg);
        }
        self.next = (self.next + 1) % self.ring.len().max(1);
        self.len = (self.len + 1).min(self.ring.len());
    }

    /// The `i`-th remembered message, oldest first.
    fn get(&self, i: usize) -> Option<&(u64, MidiMsg)> {
        let n = self.ring.len();
        let first = (self.next + n - self.len) % n.max(1);
        self.ring.get((first + i) % n.max(1))
    }

    /// Each note-off sent at or after frame `since` whose key has not been struck again
    /// after it, oldest first.
    pub(crate) fn owed_since(&self, since: u64, mut f: impl FnMut(&MidiMsg)) {
        for i in 0..self.len {
            let Some((frame, msg)) = self.get(i) else {
                continue;
            };
            if *frame < since || !msg.is_note_off() {
                continue;
            }
            let key = (msg.bytes[0] & 0x0f, msg.bytes[1]);
            let struck_again = (i + 1..self.len).any(|j| {
                self.get(j)
                    .is_some_and(|(_, m)| m.is_note_on() && (m.bytes[0] & 0x0f, m.bytes[1]) == key)
            });
            if !struck_again {
                f(msg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owed(r: &RecentNotes, since: u64) -> Vec<[u8; 3]> {
        let mut out = Vec::new();
        r.owed_since(since, |m| out.push(m.bytes));
        out
    }

    #[test]
    fn note_offs_since_a_frame_are_owed_unless_the_key_was_struck_again() {
        let mut r = RecentNotes::new();
        r.sent(0, &MidiMsg::note_on(0, 60, 100));
        r.sent(100, &MidiMsg::note_off(0, 60));
        r.sent(200, &MidiMsg::note_on(0, 62, 100));
        r.sent(300, &MidiMsg::note_off(0, 62));
        r.sent(310, &MidiMsg::cc(0, 7, 100));
        // 64 struck again after its release: that release is not sent again.
        r.sent(320, &MidiMsg::note_off(0, 64));
        r.sent(330, &MidiMsg::note_on(0, 64, 90));
        // The same key on another channel is another note.
        r.sent(340, &MidiMsg::note_on(1, 62, 90));
        assert_eq!(
            owed(&r, 50),
            vec![[0x80, 60, 0], [0x80, 62, 0]],
            "releases since frame 50"
        );
        assert_eq!(owed(&r, 250), vec![[0x80, 62, 0]]);
        assert!(owed(&r, 1000).is_empty());
    }

    #[test]
    fn only_the_latest_messages_are_remembered() {
        let mut r = RecentNotes::new();
        for i in 0..(REMEMBERED as u64 + 10) {
            r.sent(i, &MidiMsg::note_off(0, (i % 128) as u8));
        }
        let mut n = 0;
        r.owed_since(0, |_| n += 1);
        assert_eq!(n, REMEMBERED);
        let mut first = None;
        r.owed_since(0, |m| {
            first.get_or_insert(m.bytes[1]);
        });
        assert_eq!(first, Some(10), "the oldest ten were forgotten");
    }
}
