// std/grooves — groove templates: per-step timing offsets and amp factors over a grid.
// Use: `import "std/grooves"` then `groove swing16` for every player, or
// `play hats { s: "hh*16", groove: mpc62 }` for one.
//
// A template is a record: `grid` steps per cycle, `timing` (fraction of a step each step
// moves, from just above -0.5 to 0.5) and `amp` (level factor); both lists repeat over the
// grid. Notes between grid lines move in proportion, so notes never overtake each other.

// No movement at all (a groove that changes nothing).
let straight = { grid: 16, timing: 0 }

// Every second step late by `amount` of a step (1/3: triplet swing).
fn swing(amount, grid) = { grid: grid, timing: [0, amount] }

// Akai MPC-style swing: the first of each pair of steps takes `percent` of the pair
// (50: straight, 66: triplet, 75: the most); 16ths in a cycle of four beats by default.
fn mpc(percent, grid) = { grid: grid, timing: [0, (percent - 50) / 50] }

let swing8 = swing(1 / 3, 8)
let swing8light = mpc(58, 8)
let swing8hard = mpc(71, 8)
let swing16 = swing(1 / 3, 16)
let swing16light = mpc(58, 16)
let swing16hard = mpc(71, 16)

let mpc50 = mpc(50, 16)
let mpc54 = mpc(54, 16)
let mpc58 = mpc(58, 16)
let mpc62 = mpc(62, 16)
let mpc66 = mpc(66, 16)
let mpc71 = mpc(71, 16)
let mpc75 = mpc(75, 16)

// Triplet-swung 8ths with softer offbeats: a blues/boogie shuffle.
let shuffle = { grid: 8, timing: [0, 1 / 3], amp: [1, 0.75] }
// Laid back: uneven late 16ths, the offbeats softer (a loose, "drunk" hip-hop feel).
let lazy = { grid: 16, timing: [0, 0.2, 0.08, 0.28], amp: [1, 0.7, 0.85, 0.65] }
// Pushing: 16th offbeats slightly early, for urgency.
let push = { grid: 16, timing: [0, -0.1, 0, -0.15], amp: [1, 0.8, 0.9, 0.8] }
// Accented downbeats and a late, strong backbeat (beats 2 and 4 of a four-beat cycle).
let lateBackbeat = { grid: 4, timing: [0, 0.06], amp: [1, 1.15] }
