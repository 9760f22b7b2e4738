//! `synack` itself (see `synack::entry`), as a binary of the tests crate.

fn main() -> std::process::ExitCode {
    synack::entry::main()
}
