play a ptpar([0, { degree: 0 }, 2])
