// cycles: 2
play r { degree: rand([0, 2, 4, 7]), dur: 0.5 }
play x { degree: xrand([0, 1, 2]), dur: 0.5 }
play s { degree: shuf([0, 1, 2, 3]), dur: 0.5 }
play w { degree: wrand([0, 7], [0.9, 0.1]), dur: 0.5 }
play c { degree: choose([10, 20]), dur: 1 }
