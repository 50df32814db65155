play a { degree: wrand([0, 1], [-1, 2]), dur: 1 }
