// cycles: 2
// Pseq plays once; the player ends with its shortest stream.
play p { degree: Pseq([0, 1, 2]), dur: 1 }
