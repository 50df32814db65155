play a { note: "[0,4,7]".arp("upwards") }
