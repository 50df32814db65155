tempo 120
scene verse { tempo 90; play a { s: "bd sn" } }
arrange verse 1
