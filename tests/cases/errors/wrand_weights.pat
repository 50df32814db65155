play a { degree: wrand([0, 1, 2], [0.5, 0.5]), dur: 1 }
