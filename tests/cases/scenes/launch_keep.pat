// cycles: 7
// `fill` is a keep scene: launched at bar 2 (beat 8) it replaces the player of the same
// name (`drums`) and adds `snare`, while `bass` of the verse plays on, in phase. At bar
// 4 both timers fire: the launch written last wins, so the verse takes the stage alone,
// from its beginning; at bar 6 the fill comes back.
scene verse {
  play drums { s: "bd ~ bd ~" }
  play bass { degree: seq([0, 3, 4, 3, 5]), dur: 1, octave: 3 }
}
scene fill keep {
  play drums { s: "bd*4" }
  play snare { s: "~ sn ~ sn" }
}
launch verse
launch fill on timer(2)
launch verse on timer(4)
