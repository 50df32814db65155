// Keys and knobs: a MIDI keyboard and controller steer the piece while it plays.
// Without a controller every control reads its default, so it plays as it is:
//
//   patter play examples/keys-and-knobs.pat --record-input take.jsonl
//   patter render examples/keys-and-knobs.pat --input take.jsonl --bars 16 -o take.wav
//
// The second line renders the take you played, knobs and keys included, exactly.
tempo 110
scale minor
root 9 // A

// Knob CC 74 opens the filter of the bass and the arpeggio; it glides over half a beat
// (smooth) so a fast turn sweeps instead of stepping. Before you touch it, it sits at
// half way (default: 0.5).
let bright = cc(74, smooth: 0.5, default: 0.5)

// The arpeggiator plays the notes you hold on channel 1, lowest first and back down, one
// per sixteenth. With the sustain pedal (CC 64) down, released notes keep playing until
// it lifts. Nothing held: it rests.
play arp {
  midinote: held(channel: 1).arp(updown),
  dur: 0.25, s: "pluck",
  cutoff: bright.range(400, 6000), amp: 0.3,
}

// The bass walks the root and fifth; each hit on the drum pads (notes 36 to 51 on
// channel 10) moves it on to the next chord of the list at the next bar.
play bass {
  degree: notes(channel: 10, lo: 36, hi: 51).step([0, 5, 3, 4]) + seq([0, 0, 4, 0]),
  dur: 1, s: "bass", octave: 3, legato: 0.8, amp: 0.35,
  cutoff: bright.range(200, 2000),
}

// Kick and clap always play, whatever you do.
play drums { s: "bd*2, ~ cp", amp: 0.45 }

// The volume knob CC 7 (default 0.6) sets how loud the eighth-note hats are.
play hats { s: "hh*8", amp: cc(7, default: 0.6) * 0.35 }

// A pad comes in while the button on CC 20 is latched on (press it once to start, once
// more to stop), at the next bar.
play pad {
  degree: [0, 2, 4], dur: 4, s: "pad", octave: 4, amp: 0.15,
  start: toggle(20), stop: toggle(20),
}
