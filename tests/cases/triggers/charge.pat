// cycles: 2
// The integrator of a constant 1, once a beat, threshold 3 (see integrate_exact): its
// charge is 0, 1, 2 at beats 0, 1, 2, drops to 0 when it fires at beat 3, and so on. An
// event between samples reads the last one (beat 1.5 reads beat 1's 1).
let t = integrate("1", threshold: 3, rate: 1)
play c { degree: t.charge, dur: seq([1, 0.5, 0.5, 1, 1]) }
