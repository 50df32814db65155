// A ii-V-I-vi progression in C with a swing groove and humanized timing and dynamics.
//
//   patter events examples/groove-progression.pat --player keys   (the swung onsets)
//   patter render examples/groove-progression.pat --bars 8 -o groove.wav
tempo 96
import "std/chords" // min7, dom7, maj7, six: chords as semitone lists

// Swing from the standard grooves: `swing8` is `swing(1/3, 8)`, a grid of 8 steps a bar
// (eighth notes) whose every second step (the "and" of each beat) is late by a third of a
// step. That moves the "and" from 1/2 to 2/3 of the beat: a triplet swing. Onsets stay exact
// fractions, so the swung eighth lands on beat 2/3, not on 0.6666.
import "std/grooves"
groove swing8

// Humanized timing and dynamics for every player: each onset moves by its own small amount
// (up to 1/100 of a beat either way) and each level by up to 10%. The jitter is a pure
// function of the seed, the player and the onset, so the "human" is the same in every
// render and in every live performance of this file.
humanize { time: 0.01, amp: 0.1, seed: 7 }

// One chord a bar: Dm7, G7, Cmaj7, A6 (a list plus a number moves every note).
let changes = cat([min7 + 2, dom7 + 7, maj7, six + 9])

// Keys comp on the beat, the "and" of 2 and the "and" of 3: the off-beats are the ones the
// groove delays, so the chords lean back. Velocities wander with `white` (SuperCollider's
// Pwhite), one new value for every chord.
play keys {
  note: changes.struct("t ~ ~ t ~ t ~ ~"),
  s: "pad",
  attack: 0.01,
  release: 0.3,
  cutoff: 2000,
  amp: white(0.08, 0.13),
  pan: -0.2,
}

// A walking bass, one note per beat, two octaves down: root, root, fifth, and a note a
// semitone from the next chord's root or third, so each bar walks into the next.
play bass {
  note: "<[2 2 9 6] [7 7 2 11] [0 0 7 1] [9 9 4 1]>",
  octave: 3,
  s: "bass",
  legato: 0.9,
  cutoff: 700,
  amp: white(0.4, 0.5),
}

// Hats on swung eighths, a kick on 1, a snare on 2 and 4; the kick's pickup on the "and"
// of 4 swings too. One `amp` stream for the kit, so no two hits are quite the same.
play drums {
  s: "[hh*8, bd ~ ~ [~ bd], ~ sn ~ sn]",
  amp: white(0.3, 0.45),
}
