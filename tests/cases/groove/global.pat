// cycles: 1
// A file-wide groove (set after the import it needs), with one player opting out.
import "std/grooves"
play hats { s: "hh*8" }
play kick { s: "bd*4", groove: straight }
groove swing8
