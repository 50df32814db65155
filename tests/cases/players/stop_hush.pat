// cycles: 1
play a { degree: 0 }
play b { degree: 2 }
play c { degree: 4 }
stop b
hush
play d { degree: 7, dur: 2 }
