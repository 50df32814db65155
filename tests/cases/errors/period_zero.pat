play a { degree: seq([0, 1]), dur: 1, pan: sine.period(0) }
