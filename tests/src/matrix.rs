//! The state × event matrix fixtures (tests/fixtures/matrix/), read the
//! same way by the simulator's table test and by the run on Linux.

use std::path::PathBuf;

/// tests/fixtures/matrix.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/matrix")
}

/// Every fixture: (file name, text), by name.
pub fn fixtures() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir())
        .expect("tests/fixtures/matrix")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tcp"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (
                name.unwrap_or_default(),
                std::fs::read_to_string(&p).expect("readable"),
            )
        })
        .collect();
    out.sort();
    out
}
