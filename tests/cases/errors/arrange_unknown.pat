scene verse { play a { s: "bd" } }
arrange verse 2, vrse 2
