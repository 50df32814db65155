// std/rhythms — drum patterns as mini-notation, and Euclidean timelines from around the
// world (Toussaint), as boolean patterns for `struct`.
// Use: `import "std/rhythms"` then `play d { s: fourOnTheFloor }` or
// `play b { note: "c2".struct(tresillo) }`.

let fourOnTheFloor = "bd*4"
let backbeat = "~ sn ~ sn"
let offbeatHats = "[~ hh]*4"
let eighthHats = "hh*8"
let breakbeat = "bd ~ [~ bd] ~ . ~ sn ~ [~ sn]"
let amen = "[bd bd ~ ~] [sn ~ ~ sn] [~ sn bd bd] [~ sn ~ ~]"
let halfTime = "bd ~ ~ ~ sn ~ ~ ~"

let tresillo = euclid(3, 8)
let cinquillo = euclid(5, 8)
let rumba = euclid(5, 16, 3)
let bossa = euclid(5, 16)
let bembe = euclid(7, 12)
let aksak = euclid(4, 9)
let khafif = euclid(3, 7)
let ruchenitza = euclid(4, 7)
