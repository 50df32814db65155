// cycles: 1
// MPC 62% on 16ths: every second 16th is 0.24 of a step late (beat 0.25 → 0.31).
import "std/grooves"
play hats { s: "hh*16", groove: mpc62 }
