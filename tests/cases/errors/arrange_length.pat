scene verse { play a { s: "bd" } }
arrange verse 0
