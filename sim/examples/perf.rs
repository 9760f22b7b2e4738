use synack_sim::scenario::parse;
use synack_sim::transcript::Discard;
use synack_sim::world::{run, RunOptions};
fn main() {
    let profile = std::env::args().nth(1).unwrap_or("rfc".into());
    let mb: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let text = format!("profile {profile}\nrtt 20ms\nmss 1460\nloss client->server 1%\nserver listen 80\nclient connect\nserver accept\nclient send {} bytes\nclient close\nserver recv all\nserver close\n", mb * 1_000_000);
    let sc = parse("bench", &text).unwrap();
    let t = std::time::Instant::now();
    let out = run(&sc, &RunOptions::default(), &mut Discard).unwrap();
    let el = t.elapsed().as_secs_f64();
    println!(
        "{profile}: {:?}\n{:.2}s wall, {:.0} seg/s",
        out.stats,
        el,
        out.stats.segments as f64 / el
    );
}
