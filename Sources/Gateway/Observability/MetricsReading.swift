/// pingate's metrics read back from the text `/_pingate/metrics` serves, so that whatever else shows them (the
/// dashboard's `stats`) reads the very counters Prometheus scrapes rather than a second set that could drift.
///
/// Understands the subset of the Prometheus text format the registry writes: `# …` lines, and samples
/// `name value` or `name{label="value",…} value` with `\\`, `\"` and `\n` escaped in label values.
struct MetricsReading {
    /// One sample line.
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// Every sample, in the order written.
    let samples: [Sample]

    /// Parses an exposition; lines it does not understand are skipped.
    init(exposition: [UInt8]) {
        var samples: [Sample] = []
        for line in exposition.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: "#") {
            if let sample = Self.parse(line) { samples.append(sample) }
        }
        self.samples = samples
    }

    /// The sum of the samples of `name` whose labels satisfy `filter` (0 when there are none).
    func total(_ name: String, where filter: ([String: String]) -> Bool = { _ in true }) -> Double {
        samples.reduce(0) { $0 + ($1.name == name && filter($1.labels) ? $1.value : 0) }
    }

    /// The samples of `name` summed by the value of `label`.
    func totals(_ name: String, by label: String) -> [String: Double] {
        var totals: [String: Double] = [:]
        for sample in samples where sample.name == name {
            totals[sample.labels[label] ?? "", default: 0] += sample.value
        }
        return totals
    }

    private static func parse(_ line: ArraySlice<UInt8>) -> Sample? {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        let name = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        guard !name.isEmpty, index < line.endIndex else { return nil }
        var labels: [String: String] = [:]
        if line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.endIndex, line[index] != UInt8(ascii: "}") {
                let nameStart = index
                while index < line.endIndex, line[index] != UInt8(ascii: "=") { index += 1 }
                let label = String(decoding: line[nameStart..<index], as: UTF8.self)
                index += 1
                guard index < line.endIndex, line[index] == UInt8(ascii: "\"") else { return nil }
                index += 1
                var value: [UInt8] = []
                while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                        index += 1
                        value.append(line[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[index])
                    } else {
                        value.append(line[index])
                    }
                    index += 1
                }
                guard index < line.endIndex else { return nil }
                index += 1
                labels[label] = String(decoding: value, as: UTF8.self)
                if index < line.endIndex, line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.endIndex else { return nil }
            index += 1
        }
        let valueText = String(decoding: line[index...], as: UTF8.self).trimmingSpaces()
        guard let value = Double(valueText.split(separator: " ").first ?? "") else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
