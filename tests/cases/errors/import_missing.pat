import "no-such-file.pat"
play a { s: "bd" }
