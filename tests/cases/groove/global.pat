// cycles: 1
// A file-wide groove (it may stand anywhere, even before the import it names), with one
// player opting out.
groove swing8
import "std/grooves"
play hats { s: "hh*8" }
play kick { s: "bd*4", groove: straight }
