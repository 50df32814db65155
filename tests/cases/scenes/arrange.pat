// cycles: 5
// An arrangement: intro 1 bar, verse 2 bars, outro 1 bar, then silence; `click` is
// outside any scene and plays throughout. Each section starts its players afresh.
scene intro { play pad { degree: [0, 4], dur: 4 } }
scene verse {
  play drums { s: "bd sn" }
  play bass { degree: seq([0, 1, 2]), dur: 1, octave: 3 }
}
scene outro { play pad { degree: [0, 2, 4], dur: 2 } }
play click { s: "hh", amp: 0.2 }
arrange intro 1, verse 2, outro 1
