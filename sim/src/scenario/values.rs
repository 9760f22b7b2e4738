//! Values of the scenario language: numbers, durations, percentages, and the
//! "did you mean" suggestion for misspelled words.

/// Why a number did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Not a run of ASCII digits.
    NotANumber,
    /// Digits, but more than the type holds.
    TooLarge,
}

/// A non-negative decimal integer of ASCII digits only (no sign, no `_`).
pub(crate) fn parse_u64(s: &str) -> Result<u64, NumError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumError::NotANumber);
    }
    s.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(NumError::TooLarge)
    })
}

/// A decimal `int[.frac]` scaled by `scale` (a whole multiple is required):
/// `parse_scaled("1.5", 1000) == Ok(Some(1500))`. `Ok(None)` when the value
/// is finer than `1 / scale`.
fn parse_scaled(s: &str, scale: u64) -> Result<Option<u64>, NumError> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || (s.contains('.') && frac.is_empty()) {
        return Err(NumError::NotANumber);
    }
    let whole = parse_u64(int)?;
    let frac = frac.trim_end_matches('0');
    let mut frac_scaled: u64 = 0;
    if !frac.is_empty() {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumError::NotANumber);
        }
        // More fractional digits than the scale resolves are never whole.
        let digits = u32::try_from(frac.len()).unwrap_or(u32::MAX);
        let Some(denom) = 10u64.checked_pow(digits) else {
            return Ok(None);
        };
        let numer = parse_u64(frac).map_err(|_| NumError::NotANumber)?;
        let product = u128::from(numer) * u128::from(scale);
        if product % u128::from(denom) != 0 {
            return Ok(None);
        }
        frac_scaled = u64::try_from(product / u128::from(denom)).map_err(|_| NumError::TooLarge)?;
    }
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_scaled))
        .map(Some)
        .ok_or(NumError::TooLarge)
}

/// The units of a duration and their length in microseconds.
const UNITS: [(&str, u64); 4] = [
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("min", 60_000_000),
];

/// A duration like `20ms`, `1.5s`, `300us` or `4min`, in microseconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let like = "expected a duration like 20ms, 1.5s or 300us (units: us, ms, s, min)";
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("{like}, found \"{s}\""));
    };
    match parse_scaled(num, scale) {
        Ok(Some(us)) => Ok(us),
        Ok(None) => Err(format!(
            "the duration \"{s}\" is not a whole number of microseconds; the finest step is 1us"
        )),
        Err(NumError::TooLarge) => Err(format!(
            "the duration \"{s}\" is too long; the longest is {}us",
            u64::MAX
        )),
        Err(NumError::NotANumber) => Err(format!("{like}, found \"{s}\"")),
    }
}

/// A percentage like `1%` or `0.5%`, 0..=100, in parts per million.
pub(crate) fn parse_percent_ppm(s: &str) -> Result<u32, String> {
    let like = "expected a percentage like 1% or 0.5%";
    let Some(num) = s.strip_suffix('%') else {
        return Err(format!("{like}, found \"{s}\""));
    };
    match parse_scaled(num, 10_000) {
        Ok(Some(ppm)) if ppm <= 1_000_000 => Ok(u32::try_from(ppm).unwrap_or(u32::MAX)),
        Ok(Some(_)) | Err(NumError::TooLarge) => Err(format!(
            "a percentage must be between 0% and 100%, found \"{s}\""
        )),
        Ok(None) => Err(format!(
            "the percentage \"{s}\" is finer than the finest step of 0.0001%"
        )),
        Err(NumError::NotANumber) => Err(format!("{like}, found \"{s}\"")),
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment),
/// case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(&a.to_lowercase(), &b.to_lowercase())
}

/// The candidate closest to `word` when it is an obvious typo of it: one
/// edit away from a word of up to 4 letters, two from a longer one. The one
/// "did you mean" of synack (scenario keywords and built-in names alike).
pub fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    // Long garbage cannot be a typo of a short keyword; skip the work.
    if word.chars().count() > 40 {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for &c in candidates {
        let d = distance(word, c);
        let limit = if c.chars().count() <= 4 { 1 } else { 2 };
        let better = match best {
            Some((bd, _)) => d < bd,
            None => true,
        };
        if d <= limit && better {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean "x"?` when `word` is an obvious typo of a candidate, else "".
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!("; did you mean \"{c}\"?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_u64("0"), Ok(0));
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), Err(NumError::TooLarge));
        assert_eq!(parse_u64(""), Err(NumError::NotANumber));
        assert_eq!(parse_u64("+1"), Err(NumError::NotANumber));
        assert_eq!(parse_u64("1_000"), Err(NumError::NotANumber));
    }

    #[test]
    fn durations_in_microseconds() {
        assert_eq!(parse_duration("20ms"), Ok(20_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000));
        assert_eq!(parse_duration("300us"), Ok(300));
        assert_eq!(parse_duration("4min"), Ok(240_000_000));
        assert_eq!(parse_duration("0.25min"), Ok(15_000_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("1.000us"), Ok(1));
        assert_eq!(parse_duration("18446744073709551615us"), Ok(u64::MAX));
    }

    #[test]
    fn duration_errors() {
        let like = "expected a duration like 20ms, 1.5s or 300us (units: us, ms, s, min)";
        assert_eq!(parse_duration("20"), Err(format!("{like}, found \"20\"")));
        assert_eq!(
            parse_duration("20sec"),
            Err(format!("{like}, found \"20sec\""))
        );
        assert_eq!(parse_duration("ms"), Err(format!("{like}, found \"ms\"")));
        assert_eq!(parse_duration("1.s"), Err(format!("{like}, found \"1.s\"")));
        assert_eq!(parse_duration(".5s"), Err(format!("{like}, found \".5s\"")));
        assert_eq!(
            parse_duration("1.2.3s"),
            Err(format!("{like}, found \"1.2.3s\""))
        );
        assert_eq!(
            parse_duration("0.5us"),
            Err("the duration \"0.5us\" is not a whole number of microseconds; the finest step is 1us".into())
        );
        assert_eq!(
            parse_duration("18446744073709551616us"),
            Err("the duration \"18446744073709551616us\" is too long; the longest is 18446744073709551615us".into())
        );
        assert!(parse_duration("307445734562min").is_err());
        assert!(parse_duration("1.00000000000000000000000000001s").is_err());
    }

    #[test]
    fn percentages_in_ppm() {
        assert_eq!(parse_percent_ppm("1%"), Ok(10_000));
        assert_eq!(parse_percent_ppm("0.5%"), Ok(5_000));
        assert_eq!(parse_percent_ppm("100%"), Ok(1_000_000));
        assert_eq!(parse_percent_ppm("0%"), Ok(0));
        assert_eq!(parse_percent_ppm("0.0001%"), Ok(1));
        assert_eq!(
            parse_percent_ppm("100.5%"),
            Err("a percentage must be between 0% and 100%, found \"100.5%\"".into())
        );
        assert_eq!(
            parse_percent_ppm("0.00001%"),
            Err("the percentage \"0.00001%\" is finer than the finest step of 0.0001%".into())
        );
        assert_eq!(
            parse_percent_ppm("5"),
            Err("expected a percentage like 1% or 0.5%, found \"5\"".into())
        );
    }

    #[test]
    fn suggestions_for_typos() {
        let words = ["connect", "close", "client", "rtt"];
        assert_eq!(closest("conect", &words), Some("connect"));
        assert_eq!(closest("clinet", &words), Some("client"));
        assert_eq!(closest("Client", &words), Some("client"));
        assert_eq!(closest("rt", &words), Some("rtt"));
        assert_eq!(closest("xyz", &words), None);
        assert_eq!(closest("", &words), None);
        assert_eq!(did_you_mean("clse", &words), "; did you mean \"close\"?");
    }
}
