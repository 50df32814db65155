play a { note: 2 ** "1 2" }
