// cycles: 1
// Rhythm from dur, as in SuperCollider's Pbind.
play bass { degree: seq([0, 2, 4]), dur: seq([1, 0.5, 0.5]), legato: 0.5 }
