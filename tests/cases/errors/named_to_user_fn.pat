fn up(p, n) = p + n
play a { degree: up(seq([0]), n: 2), dur: 1 }
