import "import_cycle_other.pat"
play a { s: "bd" }
