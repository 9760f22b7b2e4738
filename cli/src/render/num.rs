//! Integers in decimal, without `core::fmt`: the renderers' hot paths
//! (a transcript line per segment) write many numbers.

/// `n` in decimal ASCII digits, written into the end of `buf`: two digits
/// per division, from a table.
pub fn decimal(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    const PAIRS: &[u8; 200] = b"\
        0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut i = buf.len();
    while n >= 100 {
        // `n % 100` is below 100, so the index is in the table.
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    &buf[i..]
}

/// Appends `n` in decimal to a string.
pub fn push_u64(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    for &d in decimal(&mut buf, n) {
        out.push(char::from(d));
    }
}

/// Number of decimal digits of `n`.
pub fn digits(n: u64) -> usize {
    let mut d = 1;
    let mut n = n / 10;
    while n > 0 {
        d += 1;
        n /= 10;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits_match_display() {
        let mut samples = vec![
            0,
            1,
            9,
            10,
            11,
            99,
            100,
            101,
            999,
            1000,
            4_294_967_295,
            u64::MAX,
        ];
        samples.extend((0..64).map(|b| 1u64 << b));
        samples.extend((1..20).map(|p| 10u64.pow(p) - 1));
        for n in samples {
            let mut buf = [0u8; 20];
            assert_eq!(decimal(&mut buf, n), n.to_string().as_bytes(), "{n}");
        }
    }

    #[test]
    fn digits_count_decimal_places() {
        for n in [0, 9, 10, 99, 100, 12345, u64::MAX] {
            assert_eq!(digits(n), n.to_string().len(), "{n}");
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
