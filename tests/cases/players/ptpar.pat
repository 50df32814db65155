// cycles: 1
let a = { degree: seq([0, 1, 2, 3]), dur: 1 }
play canon ptpar([0, a, 2, a])
