// cycles: 1
play a { degree: seq([0, 1, 2, 3]), dur: 1, x: sine, y: cosine, z: tri, w: saw, v: isaw, u: square }
play b { degree: seq([0, 1, 2, 3]), dur: 1, r: rand, p: perlin, c: sine.period(8).range(200, 800) }
