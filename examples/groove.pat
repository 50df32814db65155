// Groove and humanize: one drum loop, four feels at once.
// Try: patter events examples/groove.pat --cycles 1     (read the shifted onsets)
//      patter render examples/groove.pat -o groove.wav --bars 4
import "std/grooves"
import "std/rhythms"

tempo 92

// A groove moves the steps of a grid and scales their levels. `mpc62` is an MPC-style
// sixteenth swing: the second sixteenth of each pair lands at 62% of the pair instead of
// halfway. Set here, it applies to every player that does not choose its own.
groove mpc62

// Humanize adds a little seeded jitter to every onset and level: the same seed gives
// the same "human" in every render and every live performance.
humanize { time: 0.01, amp: 0.08, seed: 11 }

// The kick stays dead straight (`groove: straight`), so the swing around it is audible.
play kick { s: "bd ~ ~ bd ~ ~ bd ~ . ~ ~ bd ~ ~ ~ ~ ~", amp: 0.9, groove: straight }
// The snare drags its backbeat a little behind the beat and hits it harder: laid back.
play snare { s: backbeat, amp: 0.7, groove: lateBackbeat }
// The hats take the file's swing, with more jitter of their own, and an accent pattern.
play hats { s: "hh*16", amp: "0.35 0.2", humanize: { time: 0.02, amp: 0.2, seed: 3 } }

// Arpeggiated chords in dorian, with a groove written by hand: a grid of eight steps a
// bar whose off-beat eighths come a fifth of a step late and at 60% of the level.
play keys {
  degree: "<[0,2,4] [-2,0,3]>".arp(up).fast(4),
  octave: 4,
  scale: dorian,
  legato: 0.4,
  amp: 0.2,
  groove: { grid: 8, timing: [0, 0.2], amp: [1, 0.6] },
}
