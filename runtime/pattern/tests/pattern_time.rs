//! `Time` arithmetic against an i128 reference on small values.
#![allow(clippy::unwrap_used)]

use patter_pattern::Time;
use proptest::prelude::*;

fn small() -> impl Strategy<Value = (i64, i64)> {
    (-2000i64..2000, 1i64..2000)
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

fn check(t: Time, num: i128, den: i128) {
    // Same rational, reduced, positive denominator.
    assert!(t.den() > 0);
    assert_eq!(gcd(t.num() as i128, t.den() as i128).max(1), 1);
    assert_eq!(t.num() as i128 * den, num * t.den() as i128);
}

proptest! {
    #[test]
    fn arithmetic_matches_i128((an, ad) in small(), (bn, bd) in small()) {
        let a = Time::new(an, ad);
        let b = Time::new(bn, bd);
        let (an, ad, bn, bd) = (an as i128, ad as i128, bn as i128, bd as i128);
        check(a + b, an * bd + bn * ad, ad * bd);
        check(a - b, an * bd - bn * ad, ad * bd);
        check(a * b, an * bn, ad * bd);
        if bn != 0 {
            check(a / b, an * bd * bn.signum(), ad * bn.abs());
            prop_assert_eq!(a.checked_div(b), Some(a / b));
        } else {
            prop_assert_eq!(a.checked_div(b), None);
        }
        prop_assert_eq!(a.cmp(&b), (an * bd).cmp(&(bn * ad)));
        prop_assert_eq!(a.floor_int() as i128, an.div_euclid(ad));
        prop_assert_eq!(a.ceil_int() as i128, -((-an).div_euclid(ad)));
        prop_assert!(a.cycle_pos() >= Time::ZERO && a.cycle_pos() < Time::ONE);
        prop_assert_eq!(a.sam() + a.cycle_pos(), a);
        prop_assert_eq!(a - a, Time::ZERO);
        prop_assert_eq!((a + b) - b, a);
    }

    #[test]
    fn large_terms_are_exact_whenever_the_result_fits(
        an in -(1i64 << 40)..(1i64 << 40), ad in 1i64..(1i64 << 32),
        bn in -(1i64 << 40)..(1i64 << 40), bd in 1i64..(1i64 << 32),
    ) {
        let a = Time::new(an, ad);
        let b = Time::new(bn, bd);
        let exact = |n: i128, d: i128| -> Option<(i64, i64)> {
            if d == 0 { return None; }
            let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
            let g = gcd(n, d).max(1);
            let (n, d) = (n / g, d / g);
            (n.abs() <= i64::MAX as i128 && d <= i64::MAX as i128).then_some((n as i64, d as i64))
        };
        let (an, ad, bn, bd) = (a.num() as i128, a.den() as i128, b.num() as i128, b.den() as i128);
        let cases = [
            (a + b, exact(an * bd + bn * ad, ad * bd)),
            (a - b, exact(an * bd - bn * ad, ad * bd)),
            (a * b, exact(an * bn, ad * bd)),
            (a / b, exact(an * bd, ad * bn)),
        ];
        for (got, want) in cases {
            if let Some((n, d)) = want {
                if n == 0 { prop_assert_eq!(got, Time::ZERO); continue; }
                prop_assert_eq!((got.num(), got.den()), (n, d));
            }
        }
    }

    #[test]
    fn float_round_trip_of_short_fractions((n, d) in (-500i64..500, 1i64..500)) {
        let t = Time::new(n, d);
        prop_assert_eq!(Time::from_f64(t.to_f64()), t);
    }
}
