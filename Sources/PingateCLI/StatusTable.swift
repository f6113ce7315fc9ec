import Foundation

/// The compact terminal view `pingate status` prints: the dashboard's sections as short aligned tables.
enum StatusTable {
    /// Requests shown at the bottom (the page shows 100).
    static let recentShown = 10
    /// Cached targets shown.
    static let cachedTargetsShown = 5
    /// Columns of the traffic sparkline (five minutes, five seconds a column).
    static let sparklineColumns = 60

    /// The whole view of `stats`, read from `url`.
    static func render(_ stats: StatusSnapshot, url: String) -> String {
        var lines: [String] = []
        let reload = stats.lastReload.map { "last reload \($0.time) (\($0.result))" } ?? "never reloaded"
        lines.append("pingate \(stats.version) at \(url) · up \(uptime(stats.uptimeS)) · \(stats.requests.proxied) requests "
            + "(\(fixed(stats.requests.perSecond, 2))/s last minute)")
        lines.append("vault \(stats.vault ?? "–") · \(reload)")
        lines.append("")

        let upstream = stats.upstream
        let breaker = upstream.breaker + (upstream.breakerRetryS.map { " (retry in \(fixed($0, 1)) s)" } ?? "")
        let pause = upstream.pausedS > 0 ? "paused \(fixed(upstream.pausedS, 1)) s" : "no pause"
        let errors = upstream.errors.isEmpty ? "none" : upstream.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let latency = upstream.latencyMs.samples == 0 ? "no latency yet"
            : "p50 \(fixed(upstream.latencyMs.p50, 1)) ms · p99 \(fixed(upstream.latencyMs.p99, 1)) ms"
        lines.append("UPSTREAM  \(upstream.url) · breaker \(breaker) · \(pause)")
        lines.append("          \(fixed(upstream.requestsPerSecond, 2)) req/s (\(upstream.requestsLastMinute) last minute) · \(latency) · errors: \(errors)")
        lines.append("")

        let series = stats.series
        let totals = zip(series.hits, zip(series.forwarded, series.refused)).map { $0 + $1.0 + $1.1 }
        lines.append("TRAFFIC   last 5 min: \(series.hits.reduce(0, +)) hits · \(series.forwarded.reduce(0, +)) forwarded · "
            + "\(series.refused.reduce(0, +)) refused")
        lines.append("          \(sparkline(totals)) peak \(totals.max() ?? 0)/s")
        lines.append("")

        if !stats.budgets.list.isEmpty {
            lines += table(
                ["BUDGET", "RATE/S", "BURST", "REMAINING", "429s/MIN", "429s"],
                stats.budgets.list.map { budget in
                    [budget.name, fixed(budget.rate, 2), whole(budget.burst), budget.name == "client" ? "per client" : whole(budget.remaining),
                     String(budget.rejectedLastMinute), String(budget.rejectedTotal)]
                }
            )
            lines.append("")
        }
        if !stats.budgets.clients.isEmpty {
            lines += table(
                ["CLIENT", "REQUESTS", "LAST MIN", "429s/MIN", "REMAINING"],
                stats.budgets.clients.map { client in
                    [client.client, String(client.requests), String(client.requestsLastMinute), String(client.rejectedLastMinute), whole(client.remaining)]
                }
            )
            lines.append("")
        }

        let cache = stats.cache
        if cache.enabled {
            lines.append("CACHE     \(cache.entries ?? 0) entries · \(bytes(cache.bytes ?? 0)) of \(bytes(cache.maxBytes ?? 0)) · hits \(cache.hits ?? 0) · "
                + "misses \(cache.misses ?? 0) · hit ratio \(percent(cache.hitRatio)) (last minute \(percent(cache.hitRatioLastMinute)))")
            lines.append("          stores \(cache.stores ?? 0) · evictions \(cache.evictions ?? 0) · invalidations \(cache.invalidations ?? 0)")
            for (index, entry) in (cache.top ?? []).prefix(cachedTargetsShown).enumerated() {
                lines.append((index == 0 ? "TOP       " : "          ") + "\(entry.hits) × \(entry.target) (\(entry.route))")
            }
        } else {
            lines.append("CACHE     off")
        }
        lines.append("")

        if stats.recent.isEmpty {
            lines.append("RECENT    no requests yet")
        } else {
            lines += table(
                ["TIME", "CLIENT", "METHOD", "PATH", "STATUS", "CACHE", "MS"],
                stats.recent.prefix(recentShown).map { request in
                    [clock(request.time), request.client, request.method, request.path, String(request.status),
                     request.cache.map { $0.replacingOccurrences(of: "pingate; ", with: "") } ?? "–", fixed(request.durationMs, 1)]
                }
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Formatting

    /// Columns padded to their widest cell; numbers (every column but the first, when it parses) right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column -> String in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let numeric = column > 0 && (Double(cell) != nil || cell == "–")
                return numeric ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    /// `values` averaged into ``sparklineColumns`` columns of block characters, scaled to the largest.
    static func sparkline(_ values: [Int]) -> String {
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        guard !values.isEmpty else { return "" }
        let perColumn = max(1, values.count / sparklineColumns)
        let columns = stride(from: 0, to: values.count, by: perColumn).map { start in
            Double(values[start..<min(values.count, start + perColumn)].reduce(0, +)) / Double(perColumn)
        }
        let peak = columns.max() ?? 0
        return String(columns.map { value in
            peak == 0 || value == 0 ? " " : blocks[min(blocks.count - 1, Int((value / peak) * Double(blocks.count - 1)))]
        })
    }

    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value else { return "–" }
        return String(format: "%.\(digits)f", value)
    }

    static func whole(_ value: Double?) -> String {
        value.map { String(Int($0)) } ?? "–"
    }

    static func percent(_ ratio: Double?) -> String {
        ratio.map { String(format: "%.1f %%", $0 * 100) } ?? "–"
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    static func uptime(_ seconds: Int) -> String {
        let days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(seconds % 60)s" }
        return "\(seconds)s"
    }

    /// `2026-11-26T00:47:12.345Z` → `00:47:12.345` (UTC, as in the access log).
    static func clock(_ time: String) -> String {
        guard let t = time.firstIndex(of: "T") else { return time }
        return String(time[time.index(after: t)...].dropLast())
    }
}
