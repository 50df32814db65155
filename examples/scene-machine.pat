// A scene machine: no timeline, but processes that decide when the song moves on. A
// leaky integrator of a slow LFO steps through three scenes; a timer adds a snare layer
// every eight bars; a hat outside any scene holds it together.
//
//   patter events examples/scene-machine.pat --cycles 40 --format count
//   patter render examples/scene-machine.pat -o machine.wav --bars 40
//
// Listen for the drive at bar 4 (counting from 0), the open scene at 14, calm again at
// 17, drive at 27 and open at 31; the snare layer joins every eight bars (8, 16, …) and
// leaves at the next scene change (bar 16 brings it for a single bar).
tempo 118
scale minor
root 9 // A

// The LFO is a sine over 12 bars, from 0 to 1. The integrator adds it up four times a
// beat and fires when the sum reaches 12, then starts again from 0: quickly while the
// LFO is high, slowly while it is low, so the song rushes through some scenes and
// lingers in others.
let lfo = sine.slow(12)
let swell = integrate(lfo, threshold: 12, leak: 0.01)

// Calm: a kick on one and a low bass, two notes a bar.
scene calm {
  play kick { s: "bd ~ ~ ~", amp: 0.8 }
  play bass { degree: seq([0, -2]), dur: 2, octave: 3, legato: 0.9, amp: 0.4 }
}
// Drive: four on the floor, the bass in eighths, a Euclidean pluck arpeggio.
scene drive {
  play kick { s: "bd*4", amp: 0.8 }
  play bass { degree: seq([0, 0, 3, 0, 5, 3]), dur: 0.5, octave: 3, amp: 0.4 }
  play arp { s: "pluck(5,8)", degree: "0 2 4 7", amp: 0.3 }
}
// Open: the kick drops out, a pad holds the chord, the arpeggio climbs an octave.
scene open {
  play pad { degree: [0, 2, 4], dur: 4, legato: 1, amp: 0.15 }
  play arp { s: "pluck(3,8)", degree: "7 4 2", octave: 6, amp: 0.25 }
}
// `keep`: the layer joins whatever plays instead of replacing it, and leaves with it
// at the next scene change.
scene lift keep { play roll { s: "~ sn ~ [sn sn]", amp: 0.5 } }

// The hat is in no scene: it plays throughout, whatever is launched.
play hats { s: "~ hh ~ hh", amp: 0.25 }

// The piece starts calm. Each firing of the integrator launches the next scene of the
// list at the next bar line, from its beginning: drive, open, calm, drive, …
launch calm
launch [drive, open, calm] on swell
// Every eight bars the snare layer comes in (`--from 128` seeks to bar 32, onto one).
launch lift on timer(8)
