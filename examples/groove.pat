// Groove and humanize: one drum loop, three feels.
// Try: patter events examples/groove.pat --cycles 1
//      patter render examples/groove.pat -o groove.wav --bars 4
import "std/grooves"
import "std/rhythms"

tempo 92
groove mpc62            // MPC-style 16th swing for every player unless it says otherwise
humanize { time: 0.01, amp: 0.08, seed: 11 }

play kick { s: "bd ~ ~ bd ~ ~ bd ~ . ~ ~ bd ~ ~ ~ ~ ~", amp: 0.9, groove: straight }
play snare { s: backbeat, amp: 0.7, groove: lateBackbeat }
play hats { s: "hh*16", amp: "0.35 0.2", humanize: { time: 0.02, amp: 0.2, seed: 3 } }

play keys {
  degree: "<[0,2,4] [-2,0,3]>".arp(up).fast(4),
  octave: 4,
  scale: dorian,
  legato: 0.4,
  amp: 0.2,
  // A hand-made template: late, soft offbeat 8ths.
  groove: { grid: 8, timing: [0, 0.2], amp: [1, 0.6] },
}
