// cycles: 1
// Triplets under a swung 8th grid: notes between grid lines move in proportion, so they
// keep their order.
play trip { s: "hh*6", groove: { grid: 8, timing: [0, 1/3] } }
