// cycles: 1
// A `dur` player with legato: grooved onsets move, sustain stays.
play bass { degree: seq([0, 2, 4, 5]), dur: 0.5, legato: 1.5, groove: { grid: 8, timing: [0, 0.5] } }
