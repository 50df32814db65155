play a { s: "bd", restart: 1 }
