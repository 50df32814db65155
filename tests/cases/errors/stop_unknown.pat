play a { degree: 0, dur: 4 }
stop b
