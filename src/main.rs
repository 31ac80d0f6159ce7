fn main() -> std::process::ExitCode {
    schemagate::cli::main()
}
