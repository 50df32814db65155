// Every construct the editor grammars highlight; tests/tests/editor_grammars.rs checks both
// grammars against patter's lexer on this file and on every example. TODO: stays a comment.
/* A block comment /* that nests */ and
   spans lines. */
import "std/chords"
tempo 96; cycle 4
scale dorian
root 2
seed 7

let riff = seq([0, 2, 3, 5, 7], repeats: 2)
let letter = 1e3 + 2.5e-2 - -0.5 ** 2 % 3
fn up(p, n) = p + n
let twice = x => x * 2
let pick = (a, b) => a == b || a != b && !(a <= b) || a >= b || a < b || a > b

play lead { degree: riff.up(7), dur: 0.25, scale: minor, root: 0, seed: 3 }
play drums {
  s: "bd*2 [~ bd] sn:2 hh(3,8,2) . cp? hh?0.2 - _ [bd | cp]",
  n: "0 .. 3 <1 -1>!2 3@3 {0 1, 2 3 4}%4",
  amp: white(0.2, 0.4),
}
play keys { note: "<[c4,e4,g4] [a3,c4,eb5] f#3 bf2>".arp(updown).every(4, rev), legato: rest }
play multi { s: "bd sn
  hh cp" }
play ok { degree: 0, dur: 1, on: true, off: false }
stop lead, drums
mute keys
unmute keys
solo keys
unsolo
hush
