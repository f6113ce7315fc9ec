/// The one Lua script through which several pingates share their budgets in Redis: GCRA over every budget of a
/// request in one step, with Redis's own clock (`TIME`), so clock skew between hosts does not matter.
///
/// Times are microseconds (Lua numbers are doubles: nanoseconds since 1970 would lose precision).
///
/// - `admit`: KEYS[1] is the pushback pause of the request's scope, KEYS[2…] one key per budget, most specific
///   first. ARGV: `admit`, the longest wait allowed, then per budget its emission interval and burst tolerance.
///   Returns `{now, status, delay, tats…}`: status -1 = paused by pushback (`delay` is what is left of the pause);
///   0 = admitted (every budget committed as if sent after `delay`; `tats` are the new arrival times); i > 0 =
///   refused by budget i (nothing is committed; `tats` are the current ones).
///   A stored arrival time beyond what the budget as configured now can reach (`now + tolerance + interval + wait`)
///   was set under a slower configuration before a reload: it is lowered to that bound, an exhausted budget that
///   refills at the configured rate, instead of a backlog of the old one.
/// - `pause`: KEYS[1] is the pause; ARGV: `pause`, its length. A later pause only ever extends an earlier one.
enum AdmissionScript {
    static let source = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    if ARGV[1] == 'pause' then
      local length = tonumber(ARGV[2])
      local untilT = now + length
      local current = tonumber(redis.call('GET', KEYS[1]) or '0')
      if untilT > current then
        redis.call('SET', KEYS[1], untilT, 'PX', math.ceil(length / 1000) + 1)
      end
      return {now, untilT}
    end
    local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
    if paused > now then
      return {now, -1, paused - now}
    end
    local n = #KEYS - 1
    local maxWait = tonumber(ARGV[2])
    local tats = {}
    local slot = now
    local binding = 0
    for i = 1, n do
      local tau = tonumber(ARGV[2 + 2 * i])
      local reach = now + tau + tonumber(ARGV[1 + 2 * i]) + maxWait
      local tat = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
      if tat > reach then
        tat = reach
        redis.call('SET', KEYS[i + 1], tat, 'PX', math.ceil((tat - now) / 1000) + 1000)
      end
      tats[i] = tat
      local allowedAt = math.max(tat, now) - tau
      if allowedAt > slot then
        slot = allowedAt
        binding = i
      end
    end
    if slot - now > maxWait then
      local refused = {now, binding, slot - now}
      for i = 1, n do refused[3 + i] = tats[i] end
      return refused
    end
    local admitted = {now, 0, slot - now}
    for i = 1, n do
      local interval = tonumber(ARGV[1 + 2 * i])
      local newTat = math.max(tats[i], slot) + interval
      redis.call('SET', KEYS[i + 1], newTat, 'PX', math.ceil((newTat - now) / 1000) + 1000)
      admitted[3 + i] = newTat
    end
    return admitted
    """
}
