// cycles: 1
// With a dur key, a mini-notation string is sampled, not used for rhythm.
play p { degree: seq([0, 1, 2, 3]), dur: 1, amp: "0.1 0.2 0.3 0.4" }
