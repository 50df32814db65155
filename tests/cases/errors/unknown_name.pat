play a { degree: sqe([0, 1]), dur: 1 }
