// cycles: 2
// A scene's scale, root and groove apply to its players only; the file's to the rest.
scale major
scene low keep {
  scale minor
  root 2
  groove { grid: 4, timing: [0, 0.25] }
  play line { degree: "0 1 2 3" }
}
play top { degree: "0 1 2 3", octave: 6 }
arrange low 2
