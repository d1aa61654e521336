//! Exact rational time. Numbers from code become fractions the way Strudel's
//! fraction library reads doubles (a Stern–Brocot search bounded by a
//! denominator of 10^7), so `fast(1/3)` means exactly 1/3 both here and there.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A normalized fraction `n/d` with `d > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frac {
    n: i128,
    d: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Frac {
    /// Zero.
    pub const ZERO: Frac = Frac { n: 0, d: 1 };
    /// One.
    pub const ONE: Frac = Frac { n: 1, d: 1 };

    /// `n/d`, normalized; a zero denominator gives zero.
    pub fn new(n: i128, d: i128) -> Frac {
        if d == 0 {
            return Frac::ZERO;
        }
        let sign = if d < 0 { -1 } else { 1 };
        let g = gcd(n, d);
        Frac {
            n: sign * n / g,
            d: sign * d / g,
        }
    }

    /// An integer.
    pub fn int(n: i64) -> Frac {
        Frac { n: n.into(), d: 1 }
    }

    /// Numerator.
    pub fn numer(self) -> i128 {
        self.n
    }

    /// Denominator.
    pub fn denom(self) -> i128 {
        self.d
    }

    /// The double nearest to the fraction (as JavaScript divides).
    pub fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }

    /// Reads a double as Strudel does; `None` for NaN and infinities.
    pub fn from_f64(value: f64) -> Option<Frac> {
        // Far beyond any useful time or factor; keeps exact arithmetic in range.
        if !value.is_finite() || value.abs() > 1e12 {
            return None;
        }
        let negative = value < 0.0;
        let mut x = value.abs();
        if x.fract() == 0.0 {
            if x > 1e30 {
                return None;
            }
            let n = x as i128;
            return Some(Frac::new(if negative { -n } else { n }, 1));
        }
        // Values of 1 and more are scaled into (0, 1) first.
        let mut scale: i128 = 1;
        if x >= 1.0 {
            let digits = (1.0 + x.log10()).floor() as u32;
            scale = 10i128.pow(digits);
            x /= scale as f64;
        }
        const LIMIT: i128 = 10_000_000;
        let (mut a, mut b, mut c, mut d) = (0i128, 1i128, 1i128, 1i128);
        let (mut n, mut den) = (0i128, 1i128);
        while b <= LIMIT && d <= LIMIT {
            let m = (a + c) as f64 / (b + d) as f64;
            if x == m {
                if b + d <= LIMIT {
                    (n, den) = (a + c, b + d);
                } else if d > b {
                    (n, den) = (c, d);
                } else {
                    (n, den) = (a, b);
                }
                break;
            }
            if x > m {
                a += c;
                b += d;
            } else {
                c += a;
                d += b;
            }
            if b > LIMIT {
                (n, den) = (c, d);
            } else {
                (n, den) = (a, b);
            }
        }
        let n = n * scale;
        Some(Frac::new(if negative { -n } else { n }, den))
    }

    /// The start of the cycle this time is in.
    pub fn sam(self) -> Frac {
        Frac::new(self.n.div_euclid(self.d), 1)
    }

    /// The start of the next cycle.
    pub fn next_sam(self) -> Frac {
        self.sam() + Frac::ONE
    }

    /// The position within the cycle.
    pub fn cycle_pos(self) -> Frac {
        self - self.sam()
    }

    /// The integer part towards negative infinity.
    pub fn floor(self) -> i128 {
        self.n.div_euclid(self.d)
    }

    /// The smaller of two.
    pub fn min(self, other: Frac) -> Frac {
        if self <= other { self } else { other }
    }

    /// The larger of two.
    pub fn max(self, other: Frac) -> Frac {
        if self >= other { self } else { other }
    }

    /// Whether zero.
    pub fn is_zero(self) -> bool {
        self.n == 0
    }
}

impl Ord for Frac {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.n.checked_mul(other.d), other.n.checked_mul(self.d)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl PartialOrd for Frac {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Exact when the parts fit; otherwise the nearest value a double can give
/// (only absurd inputs get here, and their queries are bounded anyway).
fn exact_or_near(parts: Option<(i128, i128)>, approx: impl FnOnce() -> f64) -> Frac {
    match parts {
        Some((n, d)) => Frac::new(n, d),
        None => {
            let x = approx().clamp(-1e18, 1e18);
            Frac::new(if x.is_finite() { x as i128 } else { 0 }, 1)
        }
    }
}

impl Add for Frac {
    type Output = Frac;
    fn add(self, o: Frac) -> Frac {
        let parts = (|| {
            let n = self
                .n
                .checked_mul(o.d)?
                .checked_add(o.n.checked_mul(self.d)?)?;
            Some((n, self.d.checked_mul(o.d)?))
        })();
        exact_or_near(parts, || self.to_f64() + o.to_f64())
    }
}

impl Sub for Frac {
    type Output = Frac;
    fn sub(self, o: Frac) -> Frac {
        self + -o
    }
}

impl Mul for Frac {
    type Output = Frac;
    fn mul(self, o: Frac) -> Frac {
        let parts = (|| Some((self.n.checked_mul(o.n)?, self.d.checked_mul(o.d)?)))();
        exact_or_near(parts, || self.to_f64() * o.to_f64())
    }
}

impl Div for Frac {
    type Output = Frac;
    fn div(self, o: Frac) -> Frac {
        if o.n == 0 {
            return Frac::ZERO;
        }
        let parts = (|| Some((self.n.checked_mul(o.d)?, self.d.checked_mul(o.n)?)))();
        exact_or_near(parts, || self.to_f64() / o.to_f64())
    }
}

impl Neg for Frac {
    type Output = Frac;
    fn neg(self) -> Frac {
        Frac {
            n: -self.n,
            d: self.d,
        }
    }
}

impl fmt::Display for Frac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.n, self.d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_read_like_strudel() {
        let read = |x: f64| Frac::from_f64(x).map(|f| f.to_string());
        assert_eq!(read(0.25).as_deref(), Some("1/4"));
        assert_eq!(read(1.0 / 3.0).as_deref(), Some("1/3"));
        assert_eq!(read(0.0003).as_deref(), Some("3/10000"));
        assert_eq!(
            read(std::f64::consts::PI).as_deref(),
            Some("11985110/3814979")
        );
        assert_eq!(read(-1.5).as_deref(), Some("-3/2"));
        assert_eq!(read(120.0 / 4.0).as_deref(), Some("30/1"));
        assert_eq!(read(f64::NAN), None);
        assert_eq!(Frac::new(-1, 2).sam(), Frac::int(-1));
        assert!(Frac::new(1, 3) < Frac::new(1, 2));
    }
}
