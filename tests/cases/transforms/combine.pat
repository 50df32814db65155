// cycles: 2
play a { s: stack(["bd*2", "hh*3"]) }
play b { s: cat(["bd", "sn sn"]) }
play c { s: fastcat(["bd", "sn sn"]) }
