// Each level calls the one below ten times: 10^7 calls in all, far past the step budget,
// while never nesting more than seven calls deep.
fn f0(x) = x + x + x + x + x + x + x + x + x + x
fn f1(x) = f0(x) + f0(x) + f0(x) + f0(x) + f0(x) + f0(x) + f0(x) + f0(x) + f0(x) + f0(x)
fn f2(x) = f1(x) + f1(x) + f1(x) + f1(x) + f1(x) + f1(x) + f1(x) + f1(x) + f1(x) + f1(x)
fn f3(x) = f2(x) + f2(x) + f2(x) + f2(x) + f2(x) + f2(x) + f2(x) + f2(x) + f2(x) + f2(x)
fn f4(x) = f3(x) + f3(x) + f3(x) + f3(x) + f3(x) + f3(x) + f3(x) + f3(x) + f3(x) + f3(x)
fn f5(x) = f4(x) + f4(x) + f4(x) + f4(x) + f4(x) + f4(x) + f4(x) + f4(x) + f4(x) + f4(x)
fn f6(x) = f5(x) + f5(x) + f5(x) + f5(x) + f5(x) + f5(x) + f5(x) + f5(x) + f5(x) + f5(x)
play a { degree: f6(1), dur: 1 }
