// cycles: 1
let base = 2
fn transpose(p, n) = p + n
let up = p => p + 12
play a { degree: transpose(seq([0, 1]), base), dur: 1 }
play b { note: "0 7".transpose(1).up }
