// cycles: 4
// `hold: true` stays on the last item: a one-way change, like `bass.scale = phrygian`.
play bass { degree: "0 4", scale: timer(2).step([minor, phrygian], hold: true), octave: 3 }
