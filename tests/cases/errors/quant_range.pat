play a { s: "bd", quant: -4 }
