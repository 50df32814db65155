// cycles: 1
play up { note: "[0,4,7]".arp(up) }
play down { note: "[0,4,7]".arp(down) }
play updown { note: "[0,4,7,11]".arp(updown) }
play downup { note: "[0,4,7,11]".arp(downup) }
play converge { note: "[0,4,7,11]".arp(converge) }
play diverge { note: "[0,4,7,11]".arp(diverge) }
