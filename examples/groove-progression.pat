// A ii-V-I-vi progression in C with a swing groove and humanized timing and dynamics.
//
//   patter events examples/groove-progression.pat --player keys   (the swung onsets)
//   patter render examples/groove-progression.pat --bars 8 -o groove.wav
tempo 96
import "std/chords" // min7, dom7, maj7, six: chords as semitone lists

// Swing, written in the language: slow the pattern down so one beat fills a cycle, delay
// the second half of it (the off-beat eighth), and speed it back up. An amount of 1/6
// beat moves the "and" from 1/2 to 2/3 of the beat: a triplet swing. Times stay exact
// fractions, so the swung eighth lands on beat 2/3, not on 0.6666.
fn swing(p, amount) = p.slow(4).within(0.5, 1, late(amount)).fast(4)

// Humanized timing: every eighth-note slot is pushed late by its own small random amount,
// up to 1/100 of a bar (about 25 ms here). `rand` is seeded and a pure function of time,
// so the "human" is the same in every render. Only late, never early, so nothing moves
// before the bar line.
fn humanize(p) = p.late(rand.range(0, 0.01).segment(8))

// One chord a bar: Dm7, G7, Cmaj7, A6 (a list plus a number moves every note).
let changes = cat([min7 + 2, dom7 + 7, maj7, six + 9])

// Keys comp on the beat, the "and" of 2 and the "and" of 3: the off-beats are the ones the
// swing delays, so the chords lean back. Velocities wander with `white` (SuperCollider's
// Pwhite), one new value for every chord.
play keys {
  note: changes.struct("t ~ ~ t ~ t ~ ~").swing(1/6).humanize(),
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
  note: "<[2 2 9 6] [7 7 2 11] [0 0 7 1] [9 9 4 1]>".humanize(),
  octave: 3,
  s: "bass",
  legato: 0.9,
  cutoff: 700,
  amp: white(0.4, 0.5),
}

// Hats on swung eighths, a kick on 1, a snare on 2 and 4; the kick's pickup on the "and"
// of 4 swings too. One `amp` stream for the kit, so no two hits are quite the same.
play drums {
  s: "[hh*8, bd ~ ~ [~ bd], ~ sn ~ sn]".swing(1/6).humanize(),
  amp: white(0.3, 0.45),
}
