// An arrangement: four scenes on a timeline, a whole song that renders exactly as it plays.
//
//   patter events examples/arrangement.pat --from verse --cycles 1   (seek to the verse)
//   patter render examples/arrangement.pat -o song.wav --bars 24
tempo 110
scale minor

// A scene is a named set of players launched together. The intro is a held pad chord,
// a new one every bar, and a hat on the off-beats: space before the groove arrives.
scene intro {
  play pad { degree: [0, 2, 4], dur: 4, legato: 1, amp: 0.15 }
  play hats { s: "~ hh ~ hh", amp: 0.3 }
}

// The verse drops the pad: a syncopated kick and snare, eighth-note hats, and a bass
// walking through the minor scale, one note every half beat.
scene verse {
  play drums { s: "bd ~ [~ bd] ~ . sn ~ ~ ~", amp: 0.8 }
  play hats { s: "hh*8", amp: 0.25 }
  play bass { degree: seq([0, 0, 3, 5, 4, 2]), dur: 0.5, octave: 3, legato: 0.7, amp: 0.4 }
}

// The chorus lifts: four on the floor, sixteenth hats with an accent on each beat, and a
// lead line. `scale dorian` inside the scene brightens every player of the chorus alone
// (the raised sixth), while the verse stays minor.
scene chorus {
  scale dorian
  play drums { s: "bd*4, ~ sn ~ sn", amp: 0.9 }
  play hats { s: "hh*16", amp: "0.3 0.15" }
  play bass { degree: seq([0, 7, 5, 3]), dur: 1, octave: 3, amp: 0.45 }
  play lead { degree: "<[0 2 4 7] [5 4 2 0]>", octave: 5, amp: 0.2 }
}

// `keep` makes the outro add its players instead of replacing what plays: launched live,
// the pad joins the chorus that is already sounding. On the timeline each section plays
// only its own players, so here it is the pad, a seventh chord held for two bars.
scene outro keep {
  play pad { degree: [0, 2, 4, 6], dur: 8, legato: 1, amp: 0.15 }
}

// The song, in bars: 4 of intro, 8 of verse, 4 of chorus, 4 more of verse, 4 of outro.
// Each section starts its players from their beginning, so the verse's bass line starts
// on its first note both times, and seeking to bar 12 lands in the chorus, in phase.
arrange intro 4, verse 8, chorus 4, verse 4, outro 4
