//! Every built-in scenario runs, and its `expect`s hold, in both profiles.
mod common;
use common::dump;
use synack_sim::profile::ProfileName;
use synack_sim::scenario::builtin::builtins;
use synack_sim::transcript::Recorder;
use synack_sim::world::{run, RunOptions};

#[test]
fn every_builtin_meets_its_expectations_in_both_profiles() {
    let mut failures = Vec::new();
    for b in builtins() {
        let sc = b.scenario().expect("built-ins parse");
        for profile in [ProfileName::Rfc, ProfileName::Linux] {
            let mut rec = Recorder::default();
            let opts = RunOptions {
                profile: Some(profile),
                seed: None,
            };
            let out = run(&sc, &opts, &mut rec).expect("in-memory sink");
            if std::env::var_os("SYNACK_DUMP").is_some() {
                println!("===== {} ({profile})\n{}", b.name, dump(&rec));
            }
            // Every built-in holds in both profiles: where one waits for a
            // timer it says `wait until`, not a duration of one profile.
            for f in out.failures {
                failures.push(format!("{} ({profile}): {f:?}", b.name));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
