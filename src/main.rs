fn main() -> std::process::ExitCode {
    asnad::cli::main()
}
