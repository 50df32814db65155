// cycles: 1
// The global scale and root tune the pitched players only: the drum player (`s` with no
// pitch key) stays unpitched, so a MIDI output plays it as General MIDI drums on channel
// 10. The sampled synth with a degree and the player with no `s` are pitched.
scale dorian
root 2
play drums { s: "bd sn" }
play pluck { s: "pluck", degree: "0 2" }
play plain { degree: "0 1" }
