play a 42
