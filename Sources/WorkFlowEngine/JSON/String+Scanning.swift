extension String {
    /// Whether the UTF-8 bytes of `needle` occur in this string. Foundation's `contains` bridges
    /// to NSString on Linux and costs microseconds, which matters on the per-step hot path.
    func containsBytes(_ needle: String) -> Bool {
        var hay = self
        var needle = needle
        return hay.withUTF8 { h in
            needle.withUTF8 { n in
                guard let first = n.first else { return true }
                guard h.count >= n.count else { return false }
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count, h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// Whether the string holds a `${` interpolation marker.
    var containsInterpolation: Bool {
        var previousWasDollar = false
        for byte in utf8 {
            if previousWasDollar && byte == UInt8(ascii: "{") { return true }
            previousWasDollar = byte == UInt8(ascii: "$")
        }
        return false
    }
}
