//! The world, fed a scenario and a mangling link. The input is scenario
//! text, a 0 byte, then a tape of choices. The scenario runs in the
//! simulator's own world (`World::step` / `poll_event`), losing the segments
//! the tape picks; at a step the tape picks, both endpoints and the segments
//! in flight are forked into a small world of this file whose link flips
//! bits of real segments' headers, truncates their payloads, reorders,
//! drops and duplicates them, while the tape also makes socket calls.
//! Nothing may panic, and virtual time never goes backwards.

use super::tape::Tape;
use synack_sim::endpoint::{reset_for_closed_port, Endpoint};
use synack_sim::payload::Payload;
use synack_sim::scenario::parse;
use synack_sim::world::{RunOptions, World};
use synack_sim::{Flags, Segment, SeqNum, Side, State};

/// Steps of the world before it is cut off (a scenario may run long).
const WORLD_STEPS: u32 = 20_000;
/// Events of the mangled fork before it is cut off.
const FORK_EVENTS: u32 = 5_000;
/// Virtual time the fork may run, microseconds.
const FORK_US: u64 = 300_000_000;
/// Segments in flight in the fork before it stops sending more.
const FORK_QUEUE: usize = 4_096;

/// Runs the world and its mangled fork; returns events seen plus segments
/// the fork delivered.
pub fn world(data: &[u8]) -> u64 {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let text = String::from_utf8_lossy(&data[..split]);
    let mut tape = Tape::new(data.get(split + 1..).unwrap_or(&[]));
    let Ok(sc) = parse("fuzz.tcp", &text) else {
        return 0;
    };
    let mut world = World::new(&sc, &RunOptions::default());
    // Segments to lose, as ids after the first: up to four.
    for _ in 0..(tape.byte() % 5) {
        world.lose(1 + u64::from(tape.byte()));
    }
    let fork_at = u32::from(tape.u16()) % 512;
    let mut count = 0u64;
    let mut last_now = 0;
    let mut forked = false;
    for step in 0..WORLD_STEPS {
        if step == fork_at {
            count += fork(&world, &mut tape);
            forked = true;
        }
        if !world.step() {
            break;
        }
        assert!(world.now() >= last_now, "virtual time went backwards");
        last_now = world.now();
        while let Some(ev) = world.poll_event() {
            std::hint::black_box(ev.as_event());
            count += 1;
        }
    }
    if !forked {
        count += fork(&world, &mut tape);
    }
    let _ = world.outcome();
    count
}

/// A segment in flight in the fork.
struct Flying {
    arrives: u64,
    /// Order of sending, so equal arrival times keep it.
    order: u64,
    to: Side,
    seg: Segment,
}

/// The fork: two endpoints and a mangling link.
struct Fork<'t, 'a> {
    now: u64,
    eps: [Endpoint; 2],
    queue: Vec<Flying>,
    sent: u64,
    tape: &'t mut Tape<'a>,
    delivered: u64,
}

fn fork(world: &World, tape: &mut Tape<'_>) -> u64 {
    let mut f = Fork {
        now: world.now(),
        eps: [
            world.endpoint(Side::Client).clone(),
            world.endpoint(Side::Server).clone(),
        ],
        queue: Vec::new(),
        sent: 0,
        tape,
        delivered: 0,
    };
    for arr in world.in_flight() {
        f.sent += 1;
        f.queue.push(Flying {
            arrives: arr.arrives_us,
            order: f.sent,
            to: arr.to,
            seg: arr.seg.clone(),
        });
    }
    f.run();
    f.delivered
}

impl Fork<'_, '_> {
    fn run(&mut self) {
        let start = self.now;
        for _ in 0..FORK_EVENTS {
            self.app_call();
            self.flush();
            let arrival = self
                .queue
                .iter()
                .map(|s| (s.arrives, s.order))
                .min()
                .map(|(t, _)| t);
            let timer = self.eps.iter().filter_map(|e| e.poll_timeout()).min();
            let next = match (arrival, timer) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => return,
                },
            };
            if next > start.saturating_add(FORK_US) {
                return;
            }
            self.now = self.now.max(next);
            if timer.is_some_and(|t| t <= self.now) {
                let now = self.now;
                for ep in &mut self.eps {
                    if ep.poll_timeout().is_some_and(|t| t <= now) {
                        ep.handle_timeout(now);
                    }
                }
                continue;
            }
            if let Some(i) = self
                .queue
                .iter()
                .enumerate()
                .filter(|(_, s)| s.arrives <= self.now)
                .min_by_key(|(_, s)| (s.arrives, s.order))
                .map(|(i, _)| i)
            {
                let s = self.queue.swap_remove(i);
                self.link(s);
            }
        }
    }

    /// Now and then a socket call the tape picks, on either side.
    fn app_call(&mut self) {
        let b = self.tape.byte();
        if b % 16 != 15 {
            return;
        }
        let now = self.now;
        let ep = &mut self.eps[usize::from((b >> 4) & 1)];
        let _ = match (b >> 5) % 6 {
            0 | 1 => ep.send_pattern(now, u64::from(self.tape.u16())),
            2 => {
                ep.read_discard(now, usize::from(self.tape.u16()));
                Ok(())
            }
            3 => ep.shutdown(now),
            4 => ep.close(now),
            _ => {
                ep.abort(now);
                Ok(())
            }
        };
    }

    /// Both endpoints' output onto the link, half an RTT of 10 ms plus jitter.
    fn flush(&mut self) {
        for side in [Side::Client, Side::Server] {
            let ep = &mut self.eps[side.index()];
            while ep.poll_event().is_some() {}
            while let Some(t) = ep.poll_transmit() {
                if self.queue.len() >= FORK_QUEUE {
                    continue;
                }
                self.sent += 1;
                let jitter = u64::from(self.tape.byte() % 8) * 1_000;
                self.queue.push(Flying {
                    arrives: self.now + 5_000 + jitter,
                    order: self.sent,
                    to: side.peer(),
                    seg: t.seg,
                });
            }
        }
    }

    /// What the mangling link does to a segment that arrives now.
    fn link(&mut self, mut s: Flying) {
        match self.tape.byte() % 10 {
            // Flip bits of the header.
            3 | 4 => {
                s.seg = flip(s.seg, self.tape);
                self.deliver(s);
            }
            // Cut the payload short.
            5 => {
                let len = s.seg.payload.len();
                let keep = u64::from(self.tape.u32()) % (len + 1);
                let payload = s.seg.payload.as_ref().sub(0, keep).to_owned();
                s.seg = Segment::new(s.seg.hdr, payload);
                self.deliver(s);
            }
            // Reorder: it arrives later, after others.
            6 => {
                s.arrives = self.now + 1 + u64::from(self.tape.u16()) * 10;
                self.sent += 1;
                s.order = self.sent;
                self.queue.push(s);
            }
            // Lost.
            7 => {}
            // Duplicated: once now, once a little later.
            8 if self.queue.len() < FORK_QUEUE => {
                self.sent += 1;
                self.queue.push(Flying {
                    arrives: self.now + 1 + u64::from(self.tape.byte()) * 100,
                    order: self.sent,
                    to: s.to,
                    seg: s.seg.clone(),
                });
                self.deliver(s);
            }
            _ => self.deliver(s),
        }
    }

    /// Delivery by port, as the world does (RFC 9293 3.10.7): to the endpoint
    /// the ports name, else a RST from the host.
    fn deliver(&mut self, s: Flying) {
        self.delivered += 1;
        let now = self.now;
        let ep = &mut self.eps[s.to.index()];
        let h = s.seg.hdr;
        let matches = ep.local_port() == h.dst_port
            && match ep.state() {
                State::Closed => false,
                State::Listen => true,
                _ => ep.remote_port() == h.src_port,
            };
        if matches {
            ep.handle_segment(now, &s.seg);
        } else if let Some(rst) = reset_for_closed_port(&h) {
            if self.queue.len() < FORK_QUEUE {
                self.sent += 1;
                self.queue.push(Flying {
                    arrives: now + 5_000,
                    order: self.sent,
                    to: s.to.peer(),
                    seg: Segment::new(rst, Payload::EMPTY),
                });
            }
        }
    }
}

/// Flips one bit (or sets one option) of a segment, as a decoder could see
/// it: any field, any option value a header can carry.
fn flip(mut seg: Segment, tape: &mut Tape<'_>) -> Segment {
    let bit = tape.byte();
    let h = &mut seg.hdr;
    match tape.byte() % 12 {
        0 => h.seq = SeqNum(h.seq.0 ^ (1 << (bit % 32))),
        1 => h.ack = SeqNum(h.ack.0 ^ (1 << (bit % 32))),
        2 => h.flags = Flags(h.flags.0 ^ (1 << (bit % 8))),
        3 => h.window ^= 1 << (bit % 16),
        4 => h.src_port ^= 1 << (bit % 16),
        5 => h.dst_port ^= 1 << (bit % 16),
        6 => h.options.mss = if bit == 0 { None } else { Some(tape.u16()) },
        7 => h.options.wscale = if bit == 0 { None } else { Some(tape.byte()) },
        8 => h.options.sack_permitted = !h.options.sack_permitted,
        9 => {
            h.options.timestamps = if bit == 0 {
                None
            } else {
                Some((tape.u32(), tape.u32()))
            }
        }
        10 => {
            let n = bit % 5;
            h.options.sack_len = n;
            for b in h.options.sack.iter_mut().take(usize::from(n)) {
                *b = (tape.u32(), tape.u32());
            }
        }
        _ => {
            // A payload byte: the bytes the reader gets change.
            let mut bytes = seg.payload.to_vec();
            if !bytes.is_empty() {
                let i = tape.below(bytes.len());
                bytes[i] ^= 1 << (bit % 8);
            }
            let hdr = seg.hdr;
            return Segment::new(hdr, bytes);
        }
    }
    seg
}
