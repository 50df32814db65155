// An arrangement: scenes on a timeline, rendered exactly as it plays live.
// Try: patter events examples/arrangement.pat --cycles 20 --format count
//      patter events examples/arrangement.pat --from 16 --cycles 1   (bar 4: the verse)
//      patter render examples/arrangement.pat -o song.wav --bars 20
tempo 110
scale minor

scene intro {
  play pad { degree: [0, 2, 4], dur: 4, legato: 1, amp: 0.15 }
  play hats { s: "~ hh ~ hh", amp: 0.3 }
}

scene verse {
  play drums { s: "bd ~ [~ bd] ~ . sn ~ ~ ~", amp: 0.8 }
  play hats { s: "hh*8", amp: 0.25 }
  play bass { degree: seq([0, 0, 3, 5, 4, 2]), dur: 0.5, octave: 3, legato: 0.7, amp: 0.4 }
}

scene chorus {
  scale dorian
  play drums { s: "bd*4, ~ sn ~ sn", amp: 0.9 }
  play hats { s: "hh*16", amp: "0.3 0.15" }
  play bass { degree: seq([0, 7, 5, 3]), dur: 1, octave: 3, amp: 0.45 }
  play lead { degree: "<[0 2 4 7] [5 4 2 0]>", octave: 5, amp: 0.2 }
}

scene outro keep {
  play pad { degree: [0, 2, 4, 6], dur: 8, legato: 1, amp: 0.15 }
}

arrange intro 4, verse 8, chorus 4, verse 4, outro 4
