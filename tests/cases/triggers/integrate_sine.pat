// cycles: 4
// A sine (period one bar) sampled once a beat reads 0.5, 1, 0.5, 0, 0.5, 1, … With a leak
// of 0.5 a beat the state after each beat is 0.5·s + x: 0.5, 1.25, 1.125, 0.5625, 0.78125,
// 1.390625 — the sixth beat passes the threshold 1.3, so it fires at beat 6 and resets.
// Then 0.5, 0.25, 0.625, 1.3125 (beat 10: fires), 0.5, 0.25, 0.625, 1.3125 (beat 14: fires).
let t = integrate(sine, threshold: 1.3, leak: 0.5, rate: 1)
play s { degree: t.step([0, 1, 2, 3], quant: 0), dur: 1 }
