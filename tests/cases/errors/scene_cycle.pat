scene verse {
  cycle 3
  play a { s: "bd" }
}
arrange verse 1
