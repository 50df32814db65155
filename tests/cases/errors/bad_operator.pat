play a { note: { x: 1 } + 1 }
