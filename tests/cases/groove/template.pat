// cycles: 1
// A user template: offsets and amp factors per 8th (both lists repeat).
play keys {
  note: "c4*8",
  amp: 0.5,
  groove: { grid: 8, timing: [0, 0.25, -0.125], amp: [1, 0.5, 0.75, 0.25] },
}
