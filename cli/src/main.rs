//! `synack`: see `synack::entry`.

fn main() -> std::process::ExitCode {
    synack::entry::main()
}
