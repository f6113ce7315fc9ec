import Foundation
import Testing
import PingateConfig

@Suite("deploy/pingate.example.yaml", .timeLimit(.minutes(1)))
struct ExampleFileTests {
    /// `<repo>/deploy/pingate.example.yaml`, found from this file's path.
    static let examplePath: String = URL(fileURLWithPath: #filePath)
        .resolvingSymlinksInPath()        // the scratch package symlinks Tests/
        .deletingLastPathComponent()      // Tests/PingateConfigTests
        .deletingLastPathComponent()      // Tests
        .deletingLastPathComponent()      // <repo>
        .appendingPathComponent("deploy/pingate.example.yaml")
        .path

    @Test func exampleValidatesAndEqualsTheDefaults() throws {
        var s = try SettingsLoader.load(file: Self.examplePath, environment: [:], flags: [:])
        #expect(s.configFile == Self.examplePath)
        #expect(s.routes.count == 1)
        #expect(s.route(forPath: "/pins").name == "w3ipfs")
        // Every value in the example is the default.
        var defaults = PingateSettings()
        defaults.routes[0].source = s.routes[0].source
        s.sources = [:]
        s.configFile = nil
        #expect(s == defaults)
    }

    @Test func exampleMentionsEverySetting() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        for d in SettingsCatalog.all {
            let name = d.key.split(separator: ".").last!
            #expect(text.contains("\(name):"), "example lacks \(d.key)")
            if let flag = d.flag { #expect(text.contains("--\(flag)"), "example lacks --\(flag)") }
        }
    }
}
