/// Writes JSON text (RFC 8259) value by value, without Foundation: pingate's error bodies, admin answers,
/// access-log and log lines all go through it. Object members come out in the order written.
public struct JSONWriter {
    /// The JSON written so far.
    public private(set) var text = ""
    /// Per open object or array: whether a value was already written in it (the next one needs a comma).
    private var filled: [Bool] = []
    /// A key was just written: the next value belongs to it.
    private var afterKey = false

    public init(capacity: Int = 128) {
        text.reserveCapacity(capacity)
    }

    // MARK: - Containers

    public mutating func beginObject() {
        separate()
        text += "{"
        filled.append(false)
    }

    public mutating func endObject() {
        filled.removeLast()
        text += "}"
    }

    public mutating func beginArray() {
        separate()
        text += "["
        filled.append(false)
    }

    public mutating func endArray() {
        filled.removeLast()
        text += "]"
    }

    public mutating func key(_ name: String) {
        separate()
        text += "\""
        Self.escape(name, into: &text)
        text += "\":"
        afterKey = true
    }

    // MARK: - Values

    public mutating func string(_ value: String?) {
        guard let value else { return null() }
        separate()
        text += "\""
        Self.escape(value, into: &text)
        text += "\""
    }

    public mutating func number(_ value: Int) {
        separate()
        text += String(value)
    }

    /// A finite number; NaN and infinities become `null`.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        if value == value.rounded(), abs(value) < 1e15 {
            text += String(Int(value))
        } else {
            text += String(value)
        }
    }

    public mutating func bool(_ value: Bool) {
        separate()
        text += value ? "true" : "false"
    }

    public mutating func null() {
        separate()
        text += "null"
    }

    /// Already valid JSON, inserted as it is.
    public mutating func raw(_ json: String) {
        separate()
        text += json
    }

    // MARK: - Members

    public mutating func member(_ name: String, _ value: String?) {
        key(name)
        string(value)
    }

    public mutating func member(_ name: String, _ value: Int) {
        key(name)
        number(value)
    }

    public mutating func member(_ name: String, _ value: Double) {
        key(name)
        number(value)
    }

    public mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    // MARK: - Helpers

    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = filled.indices.last else { return }
        if filled[last] { text += "," } else { filled[last] = true }
    }

    /// RFC 8259 §7 string escaping: quote, backslash and control characters.
    public static func escape(_ value: String, into text: inout String) {
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            text += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
    }
}
