// cycles: 1
play p { degree: seq([0, rest, 2, rest]), dur: 1 }
play q { note: "c ~ e -" }
