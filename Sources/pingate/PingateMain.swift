import PingateCLI

/// The `pingate` executable. Everything it does lives in `PingateCLI`, so tests can run its commands in process.
@main
enum PingateMain {
    static func main() async {
        await Pingate.main()
    }
}
