// cycles: 1
play a { note: "0 2 4" + "<12 0>" }
play b { note: 12 - "0 2 4" }
play c { degree: [0, 2, 4] + 1, dur: 2 }
play d { degree: seq([1, 2]) * 2, dur: 2 }
play e { note: "0 1 2 3" % 2 }
