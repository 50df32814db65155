// seed: 4
// cycles: 9
// Each bar line is shared 1 : 1 between two launches: the seeded choice picks `calm` or
// `busy` for the next bar (with this seed: calm, calm, busy, calm, calm, calm, busy,
// busy). A firing that goes to the scene already playing starts it again from its
// beginning: the pad's third note and the arp's fifth never sound.
let bars = timer(1)
scene calm { play pad { degree: seq([0, 2, 4]), dur: 2 } }
scene busy { play arp { degree: seq([0, 2, 4, 6, 8]), dur: 1 } }
launch calm on bars.share([1, 1], 0)
launch busy on bars.share([1, 1], 1)
