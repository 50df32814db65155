// cycles: 1
// Playing a name again replaces the player.
play a { degree: 0, dur: 2 }
play a { degree: 5, dur: 2 }
