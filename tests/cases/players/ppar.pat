// cycles: 1
play duo ppar([{ degree: seq([0, 2]), dur: 1 }, { degree: 7, dur: 1.5 }])
