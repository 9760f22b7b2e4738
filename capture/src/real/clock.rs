//! The one clock of a real run: `CLOCK_MONOTONIC`, in nanoseconds.
//!
//! Every time that `real/` hands out is on it: the link's verdict times
//! ([`now_ns`]), the tracepoints' sample times (perf_event_open with
//! `use_clockid` and `clockid = CLOCK_MONOTONIC`, see `kstate/perf.rs`), the
//! inet_diag poll times, and the captured frames' times. libpcap is the
//! exception: the kernel stamps a packet socket's frames with
//! `ktime_get_real()` (`CLOCK_REALTIME`, net/packet/af_packet.c,
//! `tpacket_get_timestamp`), so the capture converts them with a
//! [`ClockOffset`] measured when it starts. A step of the wall clock during a
//! run (NTP, `date -s`) would shift the frames by that step; a slew does not
//! matter at the scale of a run.

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub fn now_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` now, in nanoseconds since the epoch.
pub fn realtime_ns() -> u64 {
    read(libc::CLOCK_REALTIME)
}

fn read(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; both clocks always exist on
    // Linux, so clock_gettime cannot fail here.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

/// How far `CLOCK_REALTIME` is ahead of `CLOCK_MONOTONIC`, measured once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockOffset {
    /// realtime − monotonic, nanoseconds.
    pub realtime_minus_monotonic_ns: i128,
    /// Half the narrowest bracket the measurement found: its uncertainty.
    pub uncertainty_ns: u64,
}

impl ClockOffset {
    /// Reads monotonic, realtime, monotonic a few times and keeps the read
    /// whose monotonic bracket was narrowest (the realtime read is then
    /// known to within half of it).
    pub fn measure() -> ClockOffset {
        let mut best: Option<(u64, i128)> = None;
        for _ in 0..8 {
            let before = now_ns();
            let real = realtime_ns();
            let after = now_ns();
            let width = after - before;
            let mid = before + width / 2;
            if best.is_none_or(|(w, _)| width < w) {
                best = Some((width, i128::from(real) - i128::from(mid)));
            }
        }
        let (width, offset) = best.unwrap_or((0, 0));
        ClockOffset {
            realtime_minus_monotonic_ns: offset,
            uncertainty_ns: width / 2,
        }
    }

    /// A `CLOCK_REALTIME` time (as libpcap gives it) on `CLOCK_MONOTONIC`.
    pub fn to_monotonic(&self, realtime_ns: u64) -> u64 {
        let t = i128::from(realtime_ns) - self.realtime_minus_monotonic_ns;
        u64::try_from(t.max(0)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_maps_realtime_now_to_monotonic_now() {
        let off = ClockOffset::measure();
        let mono = now_ns();
        let mapped = off.to_monotonic(realtime_ns());
        let diff = mapped.abs_diff(mono);
        assert!(
            diff < 5_000_000,
            "realtime mapped {diff} ns away from monotonic"
        );
    }

    #[test]
    fn monotonic_never_goes_back() {
        let a = now_ns();
        let b = now_ns();
        assert!(b >= a);
    }
}
