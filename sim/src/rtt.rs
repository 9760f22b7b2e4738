//! The retransmission timer's estimator, RFC 6298 ("Computing TCP's
//! Retransmission Timer"), kept apart from the timer table so that backoff is
//! never lost when a timer is re-armed (the smoltcp #1020 lesson).

/// Clock granularity G of RFC 6298 section 2 (we tick in microseconds; 1 ms
/// is the granularity a textbook TCP would assume).
pub const CLOCK_GRANULARITY_US: u64 = 1_000;

/// How the RTO is derived from SRTT and RTTVAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtoFormula {
    /// RFC 6298 2.3: RTO = SRTT + max(G, K*RTTVAR), K = 4, then 2.4: at least `min_rto`.
    Rfc6298,
    /// Linux `__tcp_set_rto()`/`tcp_rtt_estimator()`: RTO = SRTT + max(4*RTTVAR,
    /// tcp_rto_min); Linux folds the 200 ms minimum into the variance term
    /// instead of clamping the sum, so RTO ~ SRTT + 200 ms on a quiet path.
    Linux,
}

/// RFC 6298 estimator: SRTT, RTTVAR, RTO and the backoff shift.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RttEstimator {
    srtt_us: Option<u64>,
    rttvar_us: u64,
    /// RTO from the last sample, before backoff.
    base_rto_us: u64,
    /// Number of doublings since the last valid RTT sample (RFC 6298 5.5, and
    /// section 3, Karn: the backed-off RTO is kept until a valid sample).
    backoff: u32,
    min_rto_us: u64,
    max_rto_us: u64,
    formula: RtoFormula,
}

impl RttEstimator {
    /// RFC 6298 2.1: "Until a round-trip time (RTT) measurement has been made
    /// ... the sender SHOULD set RTO <- 1 second".
    pub fn new(initial_rto_us: u64, min_rto_us: u64, max_rto_us: u64, formula: RtoFormula) -> Self {
        RttEstimator {
            srtt_us: None,
            rttvar_us: 0,
            base_rto_us: initial_rto_us,
            backoff: 0,
            min_rto_us,
            max_rto_us,
            formula,
        }
    }

    /// The current RTO with backoff applied, bounded above (RFC 6298 2.5:
    /// "A maximum value MAY be placed on RTO provided it is at least 60 seconds").
    pub fn rto_us(&self) -> u64 {
        let shifted = self
            .base_rto_us
            .checked_shl(self.backoff.min(32))
            .unwrap_or(u64::MAX);
        shifted.min(self.max_rto_us)
    }

    pub fn srtt_us(&self) -> Option<u64> {
        self.srtt_us
    }

    pub fn rttvar_us(&self) -> u64 {
        self.rttvar_us
    }

    pub fn backoff(&self) -> u32 {
        self.backoff
    }

    /// A new RTT measurement R (RFC 6298 2.2 and 2.3). Karn's rule (RFC 6298
    /// 3) is the caller's: never pass a sample from a retransmitted segment.
    /// A valid sample ends the backoff: RFC 6298 section 5, the note after
    /// 5.7, "once a new RTT measurement is obtained ... the computations
    /// outlined in Section 2 are performed, including the computation of RTO,
    /// which may result in "collapsing" RTO back down after it has been
    /// doubled"; and section 3, Karn's algorithm: "the backed-off RTO for a
    /// retransmitted packet is used for subsequent packets until a valid RTT
    /// measurement is obtained" (Linux `tcp_ack_update_rtt()` clears
    /// `icsk_backoff` there too, "only reset backoff on valid RTT measurement").
    pub fn on_sample(&mut self, r_us: u64) {
        self.backoff = 0;
        match self.srtt_us {
            // 2.2: SRTT <- R, RTTVAR <- R/2
            None => {
                self.srtt_us = Some(r_us);
                self.rttvar_us = r_us / 2;
            }
            // 2.3: RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|, beta = 1/4
            //      SRTT <- (1 - alpha) * SRTT + alpha * R', alpha = 1/8
            Some(srtt) => {
                let err = srtt.abs_diff(r_us);
                self.rttvar_us = (3 * self.rttvar_us + err) / 4;
                self.srtt_us = Some((7 * srtt + r_us) / 8);
            }
        }
        let srtt = self.srtt_us.unwrap_or(r_us);
        self.base_rto_us = match self.formula {
            // 2.3: RTO <- SRTT + max(G, K*RTTVAR); 2.4: round up to min_rto (1 s).
            RtoFormula::Rfc6298 => {
                (srtt + CLOCK_GRANULARITY_US.max(4 * self.rttvar_us)).max(self.min_rto_us)
            }
            RtoFormula::Linux => srtt + (4 * self.rttvar_us).max(self.min_rto_us),
        }
        .min(self.max_rto_us);
    }

    /// The retransmission timer expired: RFC 6298 5.5, "The host MUST set RTO
    /// <- RTO * 2 ("back off the timer")". The doubling is kept as a shift so
    /// it survives re-arming the timer, until a valid sample ([`Self::on_sample`]).
    pub fn on_timeout(&mut self) {
        if self.rto_us() < self.max_rto_us {
            self.backoff += 1;
        }
    }

    /// RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
    /// and the TCP implementation is using an RTO less than 3 seconds, the
    /// RTO MUST be re-initialized to 3 seconds when data transmission begins".
    pub fn after_syn_timeout(&mut self) {
        if self.base_rto_us < 3_000_000 {
            self.base_rto_us = 3_000_000;
        }
        self.backoff = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc() -> RttEstimator {
        RttEstimator::new(1_000_000, 1_000_000, 60_000_000, RtoFormula::Rfc6298)
    }

    #[test]
    fn initial_rto_is_one_second_rfc6298_2_1() {
        assert_eq!(rfc().rto_us(), 1_000_000);
    }

    #[test]
    fn first_sample_sets_srtt_and_half_rttvar_rfc6298_2_2() {
        let mut e = rfc();
        e.on_sample(100_000);
        assert_eq!(e.srtt_us(), Some(100_000));
        assert_eq!(e.rttvar_us(), 50_000);
        // 100 ms + 4 * 50 ms = 300 ms, below the 1 s floor of 2.4.
        assert_eq!(e.rto_us(), 1_000_000);
    }

    #[test]
    fn later_samples_smooth_rfc6298_2_3() {
        let mut e = rfc();
        e.on_sample(800_000);
        e.on_sample(400_000);
        // RTTVAR = 3/4*400000 + 1/4*|800000-400000| = 400000; SRTT = 7/8*800000 + 1/8*400000 = 750000
        assert_eq!(e.rttvar_us(), 400_000);
        assert_eq!(e.srtt_us(), Some(750_000));
        assert_eq!(e.rto_us(), 750_000 + 1_600_000);
    }

    #[test]
    fn backoff_doubles_and_persists_until_a_valid_sample_rfc6298_5_5_and_3() {
        let mut e = rfc();
        e.on_timeout();
        assert_eq!(e.rto_us(), 2_000_000);
        e.on_timeout();
        assert_eq!(e.rto_us(), 4_000_000);
        // RFC 6298 section 3 (Karn) and the note after 5.7: a valid sample
        // recomputes the RTO from section 2, "collapsing" the backoff.
        e.on_sample(10_000);
        assert_eq!(e.backoff(), 0);
        assert_eq!(e.rto_us(), 1_000_000);
    }

    #[test]
    fn rto_is_bounded_above_rfc6298_2_5() {
        let mut e = rfc();
        for _ in 0..40 {
            e.on_timeout();
        }
        assert_eq!(e.rto_us(), 60_000_000);
    }

    #[test]
    fn linux_rto_is_srtt_plus_200ms_on_a_quiet_path() {
        let mut e = RttEstimator::new(1_000_000, 200_000, 120_000_000, RtoFormula::Linux);
        e.on_sample(20_000);
        // RTTVAR = 10 ms; 4*RTTVAR = 40 ms < 200 ms.
        assert_eq!(e.rto_us(), 220_000);
    }

    #[test]
    fn syn_timeout_reinitializes_rto_to_three_seconds_rfc6298_5_7() {
        let mut e = rfc();
        e.on_timeout();
        e.after_syn_timeout();
        assert_eq!(e.rto_us(), 3_000_000);
    }
}
