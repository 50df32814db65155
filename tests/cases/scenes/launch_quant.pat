// cycles: 6
// Firings on and off the quant grid (`quant: 8`: every second bar). The timer fires at
// bars 1, 2, 3, …: the firing at bar 1 waits for bar 2, where the one exactly on the
// boundary takes effect too, and the later of the two wins (`b`, the second of the
// list). At bar 4 firings 3 and 4 take effect together: `b` again, from its beginning.
scene a { play x { degree: 0, dur: 1 } }
scene b { play y { degree: seq([4, 5, 6, 7]), dur: 1 } }
launch a
launch [a, b] on timer(1), quant: 8
